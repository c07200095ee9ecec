// One worker process: connect, run the loop until told to stop, drain, close.
import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, type NatsAuth } from "../nats/connection.ts";
import type { Logger } from "../util/log.ts";
import { redactUrl } from "../util/redact.ts";
import type { HandlerRegistry } from "./registry.ts";
import { WorkerLoop, type WorkerLoopOptions } from "./loop.ts";

export interface WorkerProcOptions {
  natsUrl: string;
  /** credentials and TLS for NATS */
  natsAuth?: NatsAuth;
  registry: HandlerRegistry;
  concurrency: number;
  workerId: string;
  log: Logger;
  /** exit (to be replaced) after this many finished jobs */
  maxJobs?: number;
  /** exit (to be replaced) after this long, ms */
  maxLifetimeMs?: number;
  /** extra loop options (topology, retry, timeouts) */
  loop?: Partial<WorkerLoopOptions>;
  /** called once connected, before the loop starts (handlers that need the connection get it here) */
  onConnected?(nc: NatsConnection): void;
  /** called once the loop pulls, with the loop (the supervisor's child bridge hooks in here) */
  onStarted?(loop: WorkerLoop, nc: NatsConnection): void;
  /** resolve to stop; defaults to the first SIGTERM/SIGINT */
  until?: Promise<unknown>;
}

/** A default worker id: host and pid as one subject-safe token. */
export function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 120);
}

/** Run a worker proc to completion; resolves with the exit code. A second signal exits at once. */
export async function runWorkerProc(o: WorkerProcOptions): Promise<number> {
  const nc = await connectNats({ url: o.natsUrl, auth: o.natsAuth, name: `docctl worker ${o.workerId}`, reconnectForever: true });
  o.log.startup(`worker ${o.workerId} connected to ${redactUrl(o.natsUrl)}`);
  let recycle!: (why: string) => void;
  const recycled = new Promise<string>((r) => (recycle = r));
  let finished = 0;
  const loop = new WorkerLoop({
    nc,
    registry: o.registry,
    concurrency: o.concurrency,
    workerId: o.workerId,
    log: o.log,
    maxJobs: o.maxJobs,
    ...o.loop,
    onJobFinished: (r) => {
      o.loop?.onJobFinished?.(r);
      if (o.maxJobs && ++finished >= o.maxJobs) recycle(`${finished} jobs done (--max-jobs ${o.maxJobs})`);
    },
  });
  const stopSignal = o.until ?? firstSignal();
  const lifetime = o.maxLifetimeMs ? setTimeout(() => recycle(`lifetime of ${o.maxLifetimeMs}ms reached`), o.maxLifetimeMs) : undefined;
  try {
    o.onConnected?.(nc);
    await loop.start();
    o.onStarted?.(loop, nc);
    const why = await Promise.race([stopSignal.then(() => "signal"), recycled]);
    o.log.startup(`worker ${o.workerId} draining (${why})`);
    const hard = () => {
      o.log.warn("second signal: stopping now; in-flight jobs will be redelivered");
      process.exit(130);
    };
    process.once("SIGTERM", hard);
    process.once("SIGINT", hard);
    await loop.drain();
    process.off("SIGTERM", hard);
    process.off("SIGINT", hard);
  } finally {
    clearTimeout(lifetime);
    // already closed (NATS went away for good during the stop): nothing left to drain
    await nc.drain().catch(() => {});
  }
  o.log.startup(`worker ${o.workerId} stopped: ${loop.stats().jobsDone} done, ${loop.stats().jobsFailed} failed`);
  return 0;
}

/** Resolves with the name of the first SIGTERM or SIGINT, then stops listening. */
export function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (s: string) => () => {
      process.off("SIGTERM", t);
      process.off("SIGINT", i);
      resolve(s);
    };
    const t = on("SIGTERM");
    const i = on("SIGINT");
    process.once("SIGTERM", t);
    process.once("SIGINT", i);
  });
}
