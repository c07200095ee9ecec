// What a worker loop is given (options, defaults) and what it reports (stats, the jobs in flight).
import type { Logger } from "../util/log.ts";
import type { WorkerMetrics } from "../util/metrics.ts";
import type { Backoff } from "../util/backoff.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import type { TopologyOptions } from "../nats/topology.ts";
import type { HandlerRegistry } from "./registry.ts";
import type { JobProgress } from "./progress.ts";

export interface WorkerLoopOptions {
  nc: NatsConnection;
  registry: HandlerRegistry;
  /** jobs of each handler in flight at once in this proc */
  concurrency: number;
  /** the worker's id, written into results */
  workerId: string;
  log: Logger;
  /** stream and consumer limits (ack wait, retention ...) */
  topology?: Partial<TopologyOptions>;
  /** how retryable failures are spaced (the nak delay before redelivery) */
  retry?: Backoff;
  /** default attempts when neither the job nor the handler says (default 3) */
  maxAttempts?: number;
  /** default time limit of one attempt, ms (default 60 s) */
  timeoutMs?: number;
  /** how long one pull request waits for jobs, ms: also the longest a drain waits for pulls (default 2 s) */
  pullExpiresMs?: number;
  /** counters and durations for /metrics */
  metrics?: WorkerMetrics;
  /** documents up to this size travel inline in the result; larger ones go to the object store (default 256 KiB) */
  inlineMaxBytes?: number;
  /** take at most this many jobs in this loop's life (the proc is recycled after them: --max-jobs) */
  maxJobs?: number;
  /**
   * called synchronously as a job's handler is about to run: a supervised proc tells its supervisor
   * at once, so a handler that blocks the event loop from its first instruction is still known (the
   * periodic stats could not be sent any more)
   */
  onJobStarted?(job: InFlightJob): void;
  /** called after every finished job (result published), e.g. to count towards recycling */
  onJobFinished?(r: { id: string; handler: string; ok: boolean }): void;
  /** a cancelled job's handler that has not returned this long after its signal was aborted is reported (ms, default 10 s) */
  cancelGraceMs?: number;
  /** called when a cancelled job's handler ignored its abort signal past the grace (the watchdog's cue to end the proc) */
  onCancelIgnored?(job: { id: string; handler: string; why?: string }): void;
  /** the handlers' setup() is about to run (a supervised proc tells its supervisor, which times it) */
  onSetupStart?(): void;
  /** setup() of every handler together may take this long, ms (default 60 s; --setup-timeout) */
  setupTimeoutMs?: number;
}

export interface LoopStats {
  state: "starting" | "running" | "paused" | "draining" | "stopped";
  jobsDone: number;
  jobsFailed: number;
  jobsRetried: number;
  inFlight: InFlightJob[];
}

/** A job running in a loop, as its proc reports it to the supervisor (the watchdog reads the limit and the ack subject). */
export interface InFlightJob {
  id: string;
  handler: string;
  startedAt: number;
  /** the attempt's time limit, ms */
  timeoutMs?: number;
  /** the JetStream ack subject of the delivery: the supervisor holds the job (in-progress acks) while the proc is stalled, and naks it when the proc is gone */
  reply?: string;
  /** JetStream's delivery count of this delivery */
  delivery?: number;
  /** 1-based attempt (deliveries spared by attempt notes do not count) and the job's maximum */
  attempt?: number;
  maxAttempts?: number;
  /** the job's batch (a chain's id for its steps) */
  batch?: string;
  /** the last progress the handler reported */
  progress?: JobProgress;
}

/** An undecodable message whose dead letter could not be written is given up (terminated) after this many deliveries. */
export const BAD_MESSAGE_MAX_DELIVERIES = 5;

export const workerLoopDefaults = { concurrency: 4, maxAttempts: 3, timeoutMs: 60_000, pullExpiresMs: 2_000, inlineMaxBytes: 256 * 1024, storeFullHoldMs: 10 * 60_000, setupTimeoutMs: 60_000 };

/** The counters a loop keeps (LoopStats less its state and jobs). */
export interface LoopCounters {
  jobsDone: number;
  jobsFailed: number;
  jobsRetried: number;
}
