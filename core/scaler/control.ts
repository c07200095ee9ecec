// Talks to workers over the control subjects: ask how busy one is, and drain it and wait until it has gone.
import type { NatsConnection } from "@nats-io/transport-node";

/** A worker's status reply on `docctl.control.<id>.status`. */
export interface WorkerStatus {
  id: string;
  host?: string;
  state?: string;
  procs?: unknown[];
  inFlight: number;
}

export const CONTROL_PREFIX = "docctl.control.";

/** Asks one worker for its status; null when nobody answers (not started yet, or gone). */
export async function workerStatus(nc: NatsConnection, workerId: string, timeoutMs = 1000): Promise<WorkerStatus | null> {
  try {
    const m = await nc.request(`${CONTROL_PREFIX}${workerId}.status`, "", { timeout: timeoutMs });
    const s = JSON.parse(m.string()) as Partial<WorkerStatus>;
    return { ...s, id: s.id ?? workerId, inFlight: Number(s.inFlight ?? 0) } as WorkerStatus;
  } catch {
    return null;
  }
}

/** How draining waits. */
export interface DrainOptions {
  /** give up waiting for in-flight jobs after this long, ms (the server is deleted anyway) */
  timeoutMs: number;
  /** how often to ask whether the worker is still there, ms */
  pollMs: number;
  /** time limit of one control request, ms */
  requestTimeoutMs: number;
}

export const drainDefaults: DrainOptions = { timeoutMs: 5 * 60_000, pollMs: 1000, requestTimeoutMs: 2000 };

/** What happened to a drain. */
export type DrainOutcome = "drained" | "no-answer" | "timeout" | "aborted";

/**
 * Asks a worker to drain (stop pulling, finish in-flight jobs, exit) and waits until it stops
 * answering status requests, bounded by `timeoutMs`. A worker that never answers the drain request
 * ("no-answer") is treated as gone: JetStream redelivers whatever it held once its acks lapse.
 */
export async function drainWorker(
  nc: NatsConnection,
  workerId: string,
  opts: DrainOptions = drainDefaults,
  signal?: AbortSignal,
  /** called after each status answer while the worker is still finishing, for a progress line */
  onProgress?: (status: WorkerStatus, elapsedMs: number) => void,
): Promise<DrainOutcome> {
  try {
    await nc.request(`${CONTROL_PREFIX}${workerId}.drain`, "", { timeout: opts.requestTimeoutMs });
  } catch {
    return "no-answer";
  }
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) return "aborted";
    const st = await workerStatus(nc, workerId, Math.min(opts.requestTimeoutMs, opts.pollMs * 2));
    if (!st) return "drained";
    onProgress?.(st, Date.now() - started);
    if (await sleep(opts.pollMs, signal)) return "aborted";
  }
  return "timeout";
}

/** Sleeps; resolves true if the signal aborted first. Leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const onAbort = () => {
      clearTimeout(t);
      resolve(true);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(false);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
