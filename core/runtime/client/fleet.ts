// The one control client: list live workers, send control verbs, ask one worker how busy it is, drain
// one and wait until it has gone (lag is in lag.ts). The CLI, the scaler and the dashboard all use it,
// and it reads the reply types of protocol/control.ts, so no copy of the wire shapes can drift.
import type { NatsConnection } from "@nats-io/transport-node";
import { readKvLatest } from "../nats/kv-latest.ts";
import { isNoAnswer, isNoResponders } from "../nats/errors.ts";
import { BUCKET_WORKERS, controlSubject, parsePresence, type ControlReplyV1, type ControlVerb, type PresenceV1 } from "../protocol/control.ts";
import { sleep } from "../util/sleep.ts";

/** Every worker with a live presence entry, sorted by id. */
export async function listWorkers(nc: NatsConnection): Promise<PresenceV1[]> {
  const out: PresenceV1[] = [];
  for (const data of (await readKvLatest(nc, BUCKET_WORKERS)).values()) {
    try {
      // checked: one malformed entry (a foreign writer, a damaged store) crashed status and the dashboard
      const p = parsePresence(JSON.parse(new TextDecoder().decode(data)));
      if (p) out.push(p);
    } catch {
      // a foreign or broken entry: not ours to show
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Raised when no worker answers a control request. */
export class NoSuchWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoSuchWorkerError";
  }
}

/** Whether a request failed because nobody answered (no subscriber, or none within the time limit). */
export { isNoAnswer };

/** Decodes a control reply; throws with the subject named when the bytes are not one. */
export function decodeControlReply(data: Uint8Array, subject: string): ControlReplyV1 {
  let r: ControlReplyV1;
  try {
    r = JSON.parse(new TextDecoder().decode(data)) as ControlReplyV1;
  } catch {
    // SyntaxError: whoever answered is no docctl worker, and is named as such
    throw new Error(`the reply on ${subject} is not JSON: not a docctl worker`);
  }
  if (!r || typeof r !== "object" || typeof r.ok !== "boolean" || (r.ok && (!r.worker || typeof r.worker.in_flight !== "number"))) {
    throw new Error(`the reply on ${subject} is not a control reply (docs/protocol.md): ${JSON.stringify(r).slice(0, 200)}`);
  }
  return r;
}

/**
 * Send `verb` to worker `id`, or to every worker with id "all" (replies gathered until none came for
 * a moment). Resolves with the replies; throws NoSuchWorkerError when a named worker does not answer.
 */
export async function controlWorkers(nc: NatsConnection, id: string, verb: ControlVerb, timeoutMs = 3000, body = ""): Promise<ControlReplyV1[]> {
  const subject = controlSubject(id, verb);
  if (id === "all") {
    try {
      const replies: ControlReplyV1[] = [];
      const it = await nc.requestMany(subject, body, { strategy: "stall", stall: 300, maxWait: timeoutMs });
      for await (const m of it) {
        if (m.data.length) replies.push(decodeControlReply(m.data, subject));
      }
      return replies;
    } catch (err) {
      if (isNoAnswer(err)) return [];
      throw err;
    }
  }
  try {
    const m = await nc.request(subject, body, { timeout: timeoutMs });
    return [decodeControlReply(m.data, subject)];
  } catch (err) {
    if (isNoAnswer(err)) {
      // only for the message's list of known ids: the NoSuchWorkerError is thrown either way
      const known = (await listWorkers(nc).catch(() => [])).map((w) => w.id);
      throw new NoSuchWorkerError(
        `no worker "${id}" answers on ${subject}. ` + (known.length ? `Live workers: ${known.join(", ")}.` : "No worker is live (docctl status shows them)."),
      );
    }
    throw err;
  }
}

/**
 * Every live worker as it is now: the presence entries, each replaced by its worker's own answer to a
 * status request where it gives one (an entry can be up to a refresh old: procs that just became ready,
 * jobs that just started).
 */
export async function liveWorkers(nc: NatsConnection, timeoutMs = 1500): Promise<PresenceV1[]> {
  // no worker answered (no responders): the presence entries alone are listed
  const [listed, replies] = await Promise.all([listWorkers(nc), controlWorkers(nc, "all", "status", timeoutMs).catch(() => [])]);
  const byId = new Map(listed.map((w) => [w.id, w]));
  for (const r of replies) if (r.ok) byId.set(r.worker.id, r.worker);
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Asks one worker for its status: its presence as of now, or null when nobody answers (not started yet, or gone). */
export async function workerStatus(nc: NatsConnection, id: string, timeoutMs = 1000): Promise<PresenceV1 | null> {
  try {
    const [r] = await controlWorkers(nc, id, "status", timeoutMs);
    return r?.ok ? r.worker : null;
  } catch (err) {
    if (err instanceof NoSuchWorkerError) return null;
    throw err;
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
 * Asks a worker to drain (stop pulling, finish in-flight jobs, exit) and waits until it has left its
 * control subject (a status request finds no responders), bounded by `timeoutMs`; a status request
 * that times out means "still there" (statusWhileDraining). A worker that never answers the drain request
 * ("no-answer") is treated as gone: JetStream redelivers whatever it held once its acks lapse.
 */
export async function drainWorker(
  nc: NatsConnection,
  id: string,
  opts: DrainOptions = drainDefaults,
  signal?: AbortSignal,
  /** called after each status answer while the worker is still finishing, for a progress line */
  onProgress?: (status: PresenceV1, elapsedMs: number) => void,
): Promise<DrainOutcome> {
  try {
    // the worker takes our bound as its own (when longer), so it does not cut its jobs before we give up
    await controlWorkers(nc, id, "drain", opts.requestTimeoutMs, JSON.stringify({ timeout_ms: opts.timeoutMs }));
  } catch (err) {
    if (err instanceof NoSuchWorkerError) return "no-answer";
    throw err;
  }
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) return "aborted";
    const st = await statusWhileDraining(nc, id, Math.min(opts.requestTimeoutMs, opts.pollMs * 2));
    if (st === "gone") return "drained";
    if (st === "closed") return "aborted";
    if (st !== "slow") onProgress?.(st, Date.now() - started);
    if (await sleep(opts.pollMs, signal)) return "aborted";
  }
  return "timeout";
}

/**
 * One status poll of a draining worker. Only "no responders" means it left (its connection closed or it
 * unsubscribed on exit); a request that times out means it is still there but slow to answer (a busy
 * supervisor, a loaded machine), and a drain that took that for "gone" let the scaler delete a server
 * with a job still running on it. Our own connection closed: the caller is stopping ("closed").
 */
export async function statusWhileDraining(nc: NatsConnection, id: string, timeoutMs: number): Promise<PresenceV1 | "gone" | "slow" | "closed"> {
  const subject = controlSubject(id, "status");
  try {
    const r = decodeControlReply((await nc.request(subject, "", { timeout: timeoutMs })).data, subject);
    return r.ok ? r.worker : "slow";
  } catch (err) {
    if (nc.isClosed()) return "closed";
    if (isNoResponders(err)) return "gone";
    // a timeout, a reconnect in progress, a reply that is not a control reply: not proof that it left
    return "slow";
  }
}
