// The Client's public options and event shapes, with their defaults: what submit(), submitBatch(),
// chain() and batchThen() take, and what the connection reports.
import type { Priority } from "../runtime/protocol/subjects.ts";
import type { TopologyOptions } from "../runtime/nats/topology.ts";
import type { NatsTarget } from "./connection.ts";
import type { HandlerMap, HandlerName, UntypedHandlers } from "./handler.ts";
import type { JobInfo } from "./shapes.ts";

/** Options of a Client. */
export interface ClientOptions extends NatsTarget {
  /**
   * how long submit() and submitBatch() wait for results, ms
   * @defaultValue 300000 (5 minutes)
   */
  waitMs?: number;
  /**
   * stream limits used when the client is the first to create the streams
   * @defaultValue the worker's defaults (`TopologyOptions`)
   */
  topology?: Partial<TopologyOptions>;
  /**
   * reconnect attempts per server after the connection is lost, as nats.js's option of that name;
   * -1: without end, so a NATS restart or a network blip never leaves a dead Client
   * @defaultValue -1
   */
  maxReconnectAttempts?: number;
  /**
   * ms between reconnect attempts to one server, as nats.js's option of that name
   * @defaultValue 250
   */
  reconnectTimeWait?: number;
  /**
   * how long a call or a wait for results rides out a lost connection before it fails with
   * NatsUnreachableError (code NATS_UNREACHABLE), ms; the connection keeps trying after
   * @defaultValue 30000 (30 s)
   */
  unreachableGraceMs?: number;
  /** told of each change of the connection (also as `for await (const s of client.status())`) */
  onStatus?(s: ClientStatus): void;
}

/** A change of the Client's connection to NATS. */
export interface ClientStatus {
  /**
   * "disconnect": the connection is lost; "reconnecting": trying a server; "reconnect": back (calls
   * and waits go on); "error": an asynchronous error from the server; "close": closed for good
   * (client.close(), or maxReconnectAttempts used up: the next call opens a new connection)
   */
  type: "disconnect" | "reconnecting" | "reconnect" | "error" | "close";
  /** the server concerned, when there is one */
  server?: string;
  /** the error's message, for "error" */
  message?: string;
  /** ms since the Unix epoch */
  at: number;
}

/** Per-job options of submit() and submitBatch(). */
export interface JobOptions {
  /**
   * attempts before the job is dead-lettered (overrides the handler's)
   * @defaultValue the handler's `maxAttempts`, else the worker's (3)
   */
  attempts?: number;
  /**
   * time limit of one attempt, ms (overrides the handler's)
   * @defaultValue the handler's `timeoutMs`, else the worker's (60000)
   */
  attemptTimeoutMs?: number;
  /**
   * how long to wait for the result(s), ms (overrides the client's)
   * @defaultValue the Client's `waitMs` (300000)
   */
  waitMs?: number;
  /**
   * start later: ms, or a duration like "30s", "10m" (the job waits in JetStream, not in this process)
   * @defaultValue 0 (at once)
   */
  delay?: number | string;
  /**
   * start at this time (instead of `delay`)
   * @defaultValue undefined (at once)
   */
  runAt?: Date | number;
  /**
   * "high", "normal" or "low": a free worker slot takes high before normal before low
   * @defaultValue "normal"
   */
  priority?: Priority;
  /**
   * how retries are spaced (overrides the handler's and the worker's): `{ type: "exponential", delay: "2s", max: "10m" }`,
   * `{ type: "fixed", delay: "5s" }`, or a list of delays `["1s", "10s", "1m"]` (the last one repeats)
   * @defaultValue the handler's `backoff`, else the worker's (--retry-base, doubling, at most 60 s)
   */
  backoff?: unknown;
  /**
   * keep the result this long (ms or "7d")
   * @defaultValue the fleet's results retention (24 h)
   */
  keepResult?: number | string;
  /**
   * keep a failed result this long (ms or "30d")
   * @defaultValue the fleet's results retention (24 h)
   */
  keepFailed?: number | string;
  /**
   * queue the job even when no worker or manager has registered its handler yet (an app deployed
   * before its workers); without it an unknown handler is refused as a likely typo (InputError)
   * @defaultValue false
   */
  create?: boolean;
  /**
   * progress reports of the running job(s) (`ctx.progress()` in the handler)
   * @defaultValue undefined (none)
   */
  onJobProgress?(p: JobProgressEvent): void;
}

/** A progress report of a running job, as the handler sent it. */
export interface JobProgressEvent {
  /** the job's id */
  id: string;
  /** its batch */
  batch: string;
  /** its handler */
  handler: string;
  /** the worker running it */
  worker: string;
  /** 0..1, when the handler gave one (or done/total) */
  fraction?: number;
  /** units done, when the handler counts */
  done?: number;
  /** units in all, when the handler counts */
  total?: number;
  /** what the handler says it is doing */
  message?: string;
  /** when it was sent, ms since the Unix epoch */
  at: number;
}

/** One step of a chain: without `payload` it receives the previous step's value. */
export interface ChainStep<H extends HandlerMap = UntypedHandlers> {
  /** the step's handler */
  handler: HandlerName<H>;
  /**
   * the step's payload
   * @defaultValue the previous step's value
   */
  payload?: unknown;
  /**
   * attempts of this step
   * @defaultValue the handler's, else the worker's (3)
   */
  attempts?: number;
  /**
   * time limit of one attempt of this step, ms
   * @defaultValue the handler's, else the worker's (60000)
   */
  attemptTimeoutMs?: number;
  /**
   * the step's priority
   * @defaultValue "normal"
   */
  priority?: Priority;
  /**
   * a batch step: one job per payload, or `"each"`: one per element of the previous step's value; the
   * step after it receives the array of their values (not the first step, nor the last)
   * @defaultValue undefined (one job)
   */
  batch?: unknown[] | "each";
  /**
   * start this step this long after the previous one succeeded: ms or a duration like "10m"
   * @defaultValue 0
   */
  delay?: number | string;
}

/** The reduce step of batchThen(): it receives the items' values in input order. */
export interface ThenStep<H extends HandlerMap = UntypedHandlers, K extends HandlerName<H> = HandlerName<H>> {
  /** the reduce step's handler */
  handler: K;
  /**
   * "fail": the reduce fails with WORKFLOW_FAILED when an item failed; "null": failed items are passed as null
   * @defaultValue "fail"
   */
  onFailure?: "fail" | "null";
  /**
   * attempts of the reduce step
   * @defaultValue the handler's, else the worker's (3)
   */
  attempts?: number;
  /**
   * time limit of one attempt of the reduce step, ms
   * @defaultValue the handler's, else the worker's (60000)
   */
  attemptTimeoutMs?: number;
  /**
   * the reduce step's priority
   * @defaultValue "normal"
   */
  priority?: Priority;
}

/** One page of client.jobs(): `total` counts every job the query matches, `next` is the cursor of the next page. */
export interface JobPage {
  jobs: JobInfo[];
  total: number;
  next?: string;
}

/** Options of submit(), run(), enqueue() and chain(). */
export interface SubmitOptions extends JobOptions {
  /**
   * run it again when `id` belongs to a job that finished before the duplicate window (15 min): without
   * it such an id is refused (InputError), since a re-submit inside the window returns the first run's
   * result and one after it would silently run again
   * @defaultValue false
   */
  rerun?: boolean;
  /**
   * take this job before the jobs of its handler and priority waiting now (BullMQ's `lifo`); among
   * several lifo jobs the newest first. The waiting jobs are moved behind it (one move each; refused
   * above 10 000 waiting). Not with `delay` / `runAt`.
   * @defaultValue false
   */
  lifo?: boolean;
  /**
   * the job id (a subject-safe token); a re-submit with the same id inside the duplicate window is not run again
   * @defaultValue a new random id
   */
  id?: string;
}

/** Options of submitBatch() and batchThen(). */
export interface SubmitBatchOptions extends JobOptions {
  /**
   * the batch id (a token); job i gets the id `<batch>-<i>`
   * @defaultValue a new random id
   */
  batch?: string;
  /**
   * called as results arrive
   * @defaultValue undefined (none)
   */
  onProgress?(p: { done: number; failed: number; total: number }): void;
}

/** Options of streamBatch(). */
export interface StreamBatchOptions extends SubmitBatchOptions {
  /**
   * jobs submitted ahead of the results handed out, at most
   * @defaultValue 4096
   */
  window?: number;
}

/** Options of enqueue(): those of submit() without the ones about waiting. */
export type EnqueueOptions = Omit<SubmitOptions, "waitMs" | "onJobProgress">;

/** The Client's defaults. */
export const clientDefaults = { waitMs: 5 * 60_000, maxReconnectAttempts: -1, reconnectTimeWait: 250, unreachableGraceMs: 30_000 };
