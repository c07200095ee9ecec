// Client: submit jobs and batches from code and get their typed results, over the v1 wire.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { newId, type PlannedJob, type SubmitPlan } from "../runtime/client/jobfile.ts";
import { cancelBatch, cancelJobs, type CancelOutcome } from "../runtime/client/cancel.ts";
import { jobInfo } from "../runtime/client/job-state.ts";
import { toJobInfo, type JobInfo } from "./shapes.ts";
import { jobLogs } from "../runtime/client/job-logs.ts";
import { promoteJob, purgeJobs, removeDead, reprioritizeJob, type PurgeState } from "../runtime/client/queue-ops.ts";
import type { JobLogLineV1 } from "../runtime/protocol/job-log.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import { STREAM_TASKS } from "../runtime/protocol/subjects.ts";
import { followEvents, type EventFeed, type EventKind } from "../runtime/client/events.ts";
import { countJobs, findJobEntry, queryJobs, type JobQuery } from "../runtime/client/job-index.ts";
import type { JobState } from "../runtime/client/job-state.ts";
import type { ProgressV1, StepV1, ThenV1 } from "../runtime/protocol/codec.ts";
import { PRIORITIES, type Priority } from "../runtime/protocol/subjects.ts";
import { parseDuration } from "../runtime/util/duration.ts";
import { parseBackoff, type BackoffV1 } from "../runtime/util/job-backoff.ts";
import { readResult, startBatch, submitPlan, type SubmitOutcome } from "../runtime/client/submit.ts";
import { tokenProblem } from "../runtime/protocol/subjects.ts";
import type { TopologyOptions } from "../runtime/nats/topology.ts";
import { holdConnection, releaseConnection, type HeldConnection, type NatsTarget } from "./connection.ts";
import { fromWire, JobFailedError, NatsUnreachableError, ResultTimeoutError, type JobResult } from "./result.ts";
import { CancelledError, DocctlError, InputError, UnreachableError } from "../runtime/protocol/errors.ts";
import type { HandlerMap, HandlerName, IsUntyped, PayloadFor, ResultFor, UntypedHandlers } from "./handler.ts";
import { isTransientNatsError } from "../runtime/nats/errors.ts";
import { natsSetupBackoff, retrying } from "../runtime/util/backoff.ts";

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

// The handler argument of an untyped client's `submit<R>(...)`: any name; never for a typed client.
type AnyName<H extends HandlerMap> = IsUntyped<H> extends true ? string : never;

/**
 * Submits jobs and reads results. Connects on first use; `close()` closes a connection it opened
 * (a connection passed in as `nats` stays open).
 *
 * Typed by the handlers a Worker runs, names, payloads and results are checked at compile time:
 * `new Client<typeof handlers>({ nats })`, then `(await client.submit("resize", { width: 100 })).value`
 * has the resize handler's result type, and a misspelt name or a wrong payload does not compile.
 * Untyped (`new Client({ nats })`), any name is accepted and results are `unknown` unless typed by
 * hand: `client.submit<Thumb>("resize", payload)`.
 *
 * Errors: every error the Client throws is a {@link DocctlError} with a `code`: InputError (`"INPUT"`,
 * a bad id, priority, delay or an unknown handler), UnreachableError (`"UNREACHABLE"`), AuthError
 * (`"AUTH"`), ResultTimeoutError (`"RESULT_TIMEOUT"`), `"CLOSED"` after close().
 */
export class Client<H extends HandlerMap = UntypedHandlers> {
  private held?: Promise<HeldConnection>;
  private closed = false;

  constructor(private readonly opts: ClientOptions) {
    if (!opts || (typeof opts.nats !== "string" && typeof opts.nats?.publish !== "function")) {
      throw new InputError("new Client({ nats }): `nats` must be a server URL or a NatsConnection");
    }
  }

  /** The NATS connection (opened on first use, and again after one closed for good). For methods built on the client. */
  protected async connection(): Promise<NatsConnection> {
    if (this.closed) throw new DocctlError("CLOSED", "this Client is closed");
    const current = await this.held?.catch(() => undefined);
    if (!current || (current.owned && current.nc.isClosed())) this.held = this.open();
    return (await this.held!).nc;
  }

  private async open(): Promise<HeldConnection> {
    const attempts = this.opts.maxReconnectAttempts ?? clientDefaults.maxReconnectAttempts;
    let held: HeldConnection;
    try {
      held = await holdConnection(this.opts, "docctl client", attempts < 0, {
        maxReconnectAttempts: attempts,
        reconnectTimeWait: this.opts.reconnectTimeWait ?? clientDefaults.reconnectTimeWait,
      });
    } catch (err) {
      if (err instanceof UnreachableError) throw new NatsUnreachableError(err.message, [], [], { cause: err });
      throw err;
    }
    void this.relayStatus(held.nc);
    return held;
  }

  private statusListeners = new Set<(s: ClientStatus) => void>();

  // One reader of the connection's status feeds onStatus and every status() iterator.
  private async relayStatus(nc: NatsConnection) {
    const tell = (s: ClientStatus) => {
      try {
        this.opts.onStatus?.(s);
      } catch {
        /* a listener's error is not the connection's */
      }
      for (const l of this.statusListeners) l(s);
    };
    try {
      for await (const s of nc.status()) {
        const at = Date.now();
        if (s.type === "disconnect" || s.type === "reconnect") tell({ type: s.type, server: s.server, at });
        else if (s.type === "reconnecting") tell({ type: "reconnecting", at });
        else if (s.type === "error") tell({ type: "error", message: s.error?.message, at });
      }
    } catch {
      /* the iterator ends with the connection */
    }
    tell({ type: "close", at: Date.now() });
  }

  /**
   * The connection's changes as they happen: `for await (const s of client.status()) ...`. Ends when
   * the connection closes for good (a "close" event) or the loop is left.
   */
  async *status(): AsyncGenerator<ClientStatus, void, undefined> {
    await this.connection();
    const queue: ClientStatus[] = [];
    let wake: (() => void) | undefined;
    const listener = (s: ClientStatus) => {
      queue.push(s);
      wake?.();
    };
    this.statusListeners.add(listener);
    try {
      for (;;) {
        while (!queue.length) await new Promise<void>((w) => (wake = w));
        const s = queue.shift()!;
        yield s;
        if (s.type === "close") return;
      }
    } finally {
      this.statusListeners.delete(listener);
    }
  }

  private get graceMs(): number {
    return this.opts.unreachableGraceMs ?? clientDefaults.unreachableGraceMs;
  }

  // A call that needs the server now (cancel, job, result): retried while NATS is away, up to the grace.
  private async call<T>(what: string, f: (nc: NatsConnection) => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + this.graceMs;
    try {
      return await retrying(async () => f(await this.connection()), { backoff: natsSetupBackoff, giveUpAt, retryable: (err) => isTransientNatsError(err) });
    } catch (err) {
      if (isTransientNatsError(err) || err instanceof NatsUnreachableError) {
        throw new NatsUnreachableError(`${what}: NATS did not answer within ${this.graceMs}ms (unreachableGraceMs): ${(err as Error).message}`, [], [], { cause: err });
      }
      throw err;
    }
  }

  /** Untyped client: the result type given by hand, `submit<Thumb>("resize", payload)`. */
  submit<R>(handler: AnyName<H>, payload: unknown, opts?: SubmitOptions): Promise<JobResult<R>>;
  /**
   * Run `handler` on `payload` and wait for its result: `{ ok: true, value }` or `{ ok: false, error }`.
   * @throws InputError on a bad id, priority, delay, or a handler no worker registered (unless `create`)
   * @throws ResultTimeoutError when the result did not come within `waitMs`
   */
  submit<K extends HandlerName<H>>(handler: K, payload: PayloadFor<H, K>, opts?: SubmitOptions): Promise<JobResult<ResultFor<H, K>>>;
  async submit(handler: string, payload: unknown, opts: SubmitOptions = {}): Promise<JobResult<unknown>> {
    const id = opts.id ?? newId();
    checkToken("submit", "id", id);
    if (opts.id !== undefined && !opts.rerun) await this.refuseReused(id);
    const outcome = await this.runJobs<unknown>(id, [job(handler, id, payload, opts)], opts);
    return outcome[0]!;
  }

  /** Untyped client: the value type given by hand. */
  run<R>(handler: AnyName<H>, payload: unknown, opts?: SubmitOptions): Promise<R>;
  /**
   * Run `handler` on `payload` and return its value: submit() for code that wants exceptions rather
   * than a result union.
   * @throws JobFailedError (code `"JOB_FAILED"`, with the failed `result`) when the job failed
   * @throws CancelledError (code `"CANCELLED"`) when it was cancelled
   * @throws what submit() throws
   */
  run<K extends HandlerName<H>>(handler: K, payload: PayloadFor<H, K>, opts?: SubmitOptions): Promise<ResultFor<H, K>>;
  async run(handler: string, payload: unknown, opts: SubmitOptions = {}): Promise<unknown> {
    const r = await (this.submit as (h: string, p: unknown, o: SubmitOptions) => Promise<JobResult<unknown>>)(handler, payload, opts);
    if (r.ok) return r.value;
    if (r.error.code === "CANCELLED") throw new CancelledError(`job ${r.id} (${r.handler}) was cancelled: ${r.error.message}`, { id: r.id });
    throw new JobFailedError(r);
  }

  /** Untyped client: the result type given by hand. */
  submitBatch<R>(handler: AnyName<H>, payloads: Iterable<unknown> | AsyncIterable<unknown>, opts?: SubmitBatchOptions): Promise<JobResult<R>[]>;
  /**
   * Run `handler` on each payload (an array, or any iterable or async iterable); the results come in
   * the order of `payloads`. For batches too big to hold, use streamBatch().
   */
  submitBatch<K extends HandlerName<H>>(handler: K, payloads: Iterable<PayloadFor<H, K>> | AsyncIterable<PayloadFor<H, K>>, opts?: SubmitBatchOptions): Promise<JobResult<ResultFor<H, K>>[]>;
  async submitBatch(handler: string, payloads: Iterable<unknown> | AsyncIterable<unknown>, opts: SubmitBatchOptions = {}): Promise<JobResult<unknown>[]> {
    const batch = batchId(opts, "submitBatch");
    if (Array.isArray(payloads)) {
      if (payloads.length === 0) return [];
      return await this.runJobs<unknown>(batch, payloads.map((payload, i) => job(handler, `${batch}-${i}`, payload, opts)), opts);
    }
    const out: JobResult<unknown>[] = [];
    for await (const r of this.stream(handler, payloads, { ...opts, batch })) out.push(r);
    return out;
  }

  /** Untyped client: the result type given by hand. */
  streamBatch<R>(handler: AnyName<H>, payloads: Iterable<unknown> | AsyncIterable<unknown>, opts?: StreamBatchOptions): AsyncGenerator<JobResult<R>, void, undefined>;
  /**
   * Run `handler` on each payload and hand the results out as they come, in input order:
   * `for await (const r of client.streamBatch("pdf", payloads())) ...`. Payloads are taken from the
   * iterable only as far as `window` allows, so memory stays flat for a batch of any size. Throws
   * ResultTimeoutError (after the results that did come) when the wait runs out.
   */
  streamBatch<K extends HandlerName<H>>(handler: K, payloads: Iterable<PayloadFor<H, K>> | AsyncIterable<PayloadFor<H, K>>, opts?: StreamBatchOptions): AsyncGenerator<JobResult<ResultFor<H, K>>, void, undefined>;
  streamBatch(handler: string, payloads: Iterable<unknown> | AsyncIterable<unknown>, opts: StreamBatchOptions = {}): AsyncGenerator<JobResult<unknown>, void, undefined> {
    return this.stream(handler, payloads, opts);
  }

  private async *stream<R = unknown>(handler: string, payloads: Iterable<unknown> | AsyncIterable<unknown>, opts: StreamBatchOptions): AsyncGenerator<JobResult<R>, void, undefined> {
    const batch = batchId(opts, "streamBatch");
    const nc = await this.connection();
    async function* jobs() {
      let i = 0;
      for await (const payload of payloads) yield job(handler, `${batch}-${i++}`, payload, opts);
    }
    const waitMs = opts.waitMs ?? this.opts.waitMs ?? clientDefaults.waitMs;
    const run = await startBatch(nc, { kind: "batch", batch, handlers: [job(handler, batch, null, opts).handler], jobs: jobs() }, {
      timeoutMs: waitMs,
      window: opts.window,
      onProgress: opts.onProgress,
      onJobProgress: opts.onJobProgress,
      topology: this.opts.topology,
      lostGraceMs: this.graceMs,
      create: opts.create,
    }).catch(forLibrary);
    let handed = 0;
    try {
      for await (const { result } of run) {
        handed++;
        yield fromWire<R>(result);
      }
    } finally {
      run.stop();
    }
    const s = run.summary();
    if (s.missing > 0) {
      const missing = Array.from({ length: s.submitted - handed }, (_, k) => `${batch}-${handed + k}`);
      if (s.lost) {
        throw new NatsUnreachableError(
          `lost the connection to NATS and it did not come back within ${this.graceMs}ms (unreachableGraceMs): ` +
            `${s.missing} of ${s.submitted} submitted results did not arrive (first missing: ${missing[0]}); they may still come: read them later with client.result(id)`,
          missing,
          [],
        );
      }
      throw new ResultTimeoutError(
        `${s.missing} of ${s.submitted} submitted results did not arrive within ${waitMs}ms (first missing: ${missing[0]}); ` +
          `they may still come: read them later with client.result(id)`,
        missing,
        [],
      );
    }
  }

  /**
   * Queue `handler` on `payload` and return its id at once (fire and forget; read it later with result() or job()).
   * `create: true` queues it even when no worker has registered the handler yet.
   * @throws InputError on a bad id, priority, delay, or a handler no worker registered (unless `create`)
   */
  enqueue<K extends HandlerName<H>>(handler: K, payload: PayloadFor<H, K>, opts?: EnqueueOptions): Promise<string>;
  async enqueue(handler: string, payload: unknown, opts: EnqueueOptions = {}): Promise<string> {
    const id = opts.id ?? newId();
    checkToken("enqueue", "id", id);
    if (opts.id !== undefined && !opts.rerun) await this.refuseReused(id);
    const planned = job(handler, id, payload, opts);
    await submitPlan(await this.connection(), { kind: "single", batch: id, jobs: [planned], ...times([planned]) }, { wait: false, topology: this.opts.topology, create: opts.create }).catch(forLibrary);
    return id;
  }

  /**
   * Run `steps` one after the other: a step without `payload` receives the previous step's value; the
   * result is the last step's (its id is the chain's, `opts.id`). The steps are published by the
   * workers as each one succeeds, so the chain survives this process and any worker dying.
   */
  async chain<R = unknown>(steps: ChainStep<H>[], opts: Omit<SubmitOptions, "priority"> = {}): Promise<JobResult<R>> {
    if (!Array.isArray(steps) || !steps.length) throw new InputError("chain: give at least one step");
    const id = opts.id ?? newId();
    checkToken("chain", "id", id);
    const wire: StepV1[] = steps.map((s, i) => {
      if (s.batch !== undefined && (i === 0 || i === steps.length - 1)) throw new InputError(`chain: step [${i}] is a batch; a batch step needs a step before it and one after it (to start with a batch, use batchThen)`);
      if (s.batch !== undefined && s.batch !== "each" && !(Array.isArray(s.batch) && s.batch.length)) throw new InputError(`chain: step [${i}] batch must be a non-empty array of payloads or "each"`);
      const delay = s.delay === undefined ? undefined : typeof s.delay === "number" ? s.delay : parseDuration(s.delay, `chain step [${i}] delay`);
      const w: StepV1 = {
        ...job(s.handler, i === steps.length - 1 ? id : `${id}-${i}`, s.payload, { attempts: s.attempts, attemptTimeoutMs: s.attemptTimeoutMs, priority: s.priority }),
        ...(s.payload === undefined ? { payload: undefined } : {}),
      };
      if (s.batch !== undefined) w.batch = s.batch;
      if (delay) w.delay_ms = delay;
      return w;
    });
    const [first, ...next] = wire;
    const head: PlannedJob = { ...job(first!.handler, first!.id, first!.payload ?? null, { ...opts, priority: first!.priority }), next: next.length ? next : undefined, resultId: id };
    const handlers = [...new Set(steps.map((s) => s.handler))];
    const out = await this.runJobs<R>(id, [head], opts, { kind: "chain", handlers });
    return out[0]!;
  }

  /** Untyped client: the reduce's result type `R` and the items' `I` given by hand. */
  batchThen<R, I = unknown>(handler: AnyName<H>, payloads: unknown[], then: ThenStep, opts?: SubmitBatchOptions): Promise<{ items: JobResult<I>[]; then: JobResult<R> }>;
  /**
   * Map-reduce: run `handler` on each payload, then `then.handler` on the array of their values (input
   * order). Resolves with the items' results and the reduce step's. Named batchThen, not then: a
   * `then` method would make every Client a thenable that `await` unwraps.
   */
  batchThen<K extends HandlerName<H>, T extends HandlerName<H>>(
    handler: K,
    payloads: PayloadFor<H, K>[],
    then: ThenStep<H, T>,
    opts?: SubmitBatchOptions,
  ): Promise<{ items: JobResult<ResultFor<H, K>>[]; then: JobResult<ResultFor<H, T>> }>;
  async batchThen(handler: string, payloads: unknown[], then: ThenStep, opts: SubmitBatchOptions = {}): Promise<{ items: JobResult<unknown>[]; then: JobResult<unknown> }> {
    if (!Array.isArray(payloads) || !payloads.length) throw new InputError("batchThen: give a non-empty array of payloads");
    const batch = batchId(opts, "batchThen");
    const step: ThenV1 = {
      ...job(then.handler, `${batch}-then`, null, { attempts: then.attempts, attemptTimeoutMs: then.attemptTimeoutMs, priority: then.priority }),
      count: payloads.length,
      on_failure: then.onFailure,
    };
    delete (step as { payload?: unknown }).payload;
    const items: PlannedJob[] = payloads.map((payload, i) => ({ ...job(handler, `${batch}-${i}`, payload, opts), then: step }));
    const all = await this.runJobs<unknown>(batch, [...items, { id: step.id, handler: step.handler, payload: null, virtual: true }], opts, { kind: "batch", handlers: [handler, then.handler] });
    return { items: all.slice(0, -1), then: all[all.length - 1]! };
  }

  /** Cancel jobs by id (a chain's id cancels the chain): queued or scheduled ones never run, running ones get ctx.signal aborted. */
  async cancel(...ids: string[]): Promise<CancelOutcome[]> {
    return this.call("cancel", (nc) => cancelJobs(nc, ids));
  }

  /** Cancel every job of a batch. */
  async cancelBatch(batch: string): Promise<CancelOutcome[]> {
    return this.call("cancelBatch", (nc) => cancelBatch(nc, batch));
  }

  /**
   * Where job `id` stands (scheduled, queued, running with worker and progress, done, failed, cancelled,
   * dead), or undefined; a finished job's `result` is a JobResult like submit()'s.
   */
  async job<R = unknown>(id: string): Promise<JobInfo<R> | undefined> {
    const j = await this.call("job", (nc) => jobInfo(nc, id));
    return j ? toJobInfo<R>(j) : undefined;
  }

  /**
   * One page of jobs from the job index, exactly as `docctl jobs` lists them: by state, handler, batch
   * and time; `page.next` is the cursor of the next page (`{ ...q, after: page.next }`), `page.total` counts all.
   */
  async jobs(q: JobQuery = {}): Promise<JobPage> {
    const page = await queryJobs(await this.connection(), q);
    return { jobs: page.jobs.map((j) => toJobInfo(j)), total: page.total, ...(page.next ? { next: page.next } : {}) };
  }

  /** How many jobs are in each state (BullMQ's getJobCounts), of one handler or batch or all. */
  async counts(q: Pick<JobQuery, "handler" | "batch"> = {}): Promise<Record<JobState, number>> {
    return countJobs(await this.connection(), q);
  }

  // A job id whose job finished before the duplicate window: inside the window a re-submit is a no-op
  // that returns the first result; after it, it would run again without a word. Refused (rerun: true runs it).
  private async refuseReused(id: string): Promise<void> {
    const nc = await this.connection();
    const jsm = await jetstreamManager(nc);
    const f = await findJobEntry(jsm, id).catch(() => undefined);
    if (!f || !["done", "failed", "cancelled", "dead"].includes(f.entry.state)) return;
    const window = await jsm.streams
      .info(STREAM_TASKS)
      .then((si) => Math.floor(si.config.duplicate_window / 1e6))
      .catch(() => 15 * 60_000);
    const since = f.entry.submitted_at ?? f.entry.at;
    if (Date.now() - since <= window) return;
    throw new InputError(
      `job id "${id}" was used by a job submitted ${new Date(since).toISOString()} that is ${f.entry.state}; the duplicate window (${Math.round(window / 1000)} s) has passed, so it would run again: pass { rerun: true } to run it again, or use a new id`,
    );
  }

  /** Remove every `state` job of `handler` (queued, scheduled or dead); returns how many. Purged jobs get no result. */
  async purge(handler: string, state: PurgeState = "queued"): Promise<number> {
    return purgeJobs(await this.connection(), handler, state);
  }

  /** Remove the dead letter of job `id` (or all: `{ all: true, handler? }`); the jobs stay failed. Returns the ids removed. */
  async removeDead(which: string | { all: true; handler?: string }): Promise<string[]> {
    return removeDead(await this.connection(), typeof which === "string" ? { id: which } : which);
  }

  /** Run the scheduled job `id` now; false when it is not scheduled. */
  async promote(id: string): Promise<boolean> {
    return (await promoteJob(await this.connection(), id)).promoted;
  }

  /** Give the queued job `id` another priority; `{ moved: false, why }` when it cannot be moved. */
  async reprioritize(id: string, priority: Priority): Promise<{ moved: boolean; why?: string }> {
    return reprioritizeJob(await this.connection(), id, priority);
  }

  /** The lines job `id`'s handler wrote with ctx.log (each attempt's), oldest first. */
  async logs(id: string): Promise<JobLogLineV1[]> {
    return jobLogs(await this.connection(), id);
  }

  /**
   * Job events of the whole fleet from now on, as an async iterator:
   * `for await (const e of await client.events({ handler: "pdf" })) ...`; break out (or call stop()) to end it.
   */
  async events(o: { handler?: string; kinds?: EventKind[] } = {}): Promise<EventFeed> {
    return followEvents(await this.connection(), o);
  }

  /** The stored result of job `id` (whatever its batch), or undefined while there is none. */
  async result<R = unknown>(id: string): Promise<JobResult<R> | undefined> {
    const r = await this.call("result", (nc) => readResult(jetstream(nc), id));
    return r ? fromWire<R>(r) : undefined;
  }

  /** Close the connection if the client opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const held = await this.held?.catch(() => undefined);
    await releaseConnection(held);
  }

  private async runJobs<R>(batch: string, jobs: PlannedJob[], opts: JobOptions & { onProgress?: SubmitBatchOptions["onProgress"] }, plan: Partial<SubmitPlan> = {}): Promise<JobResult<R>[]> {
    const nc = await this.connection();
    const kind = plan.kind ?? (jobs.length === 1 && jobs[0]!.id === batch ? "single" : "batch");
    const out: SubmitOutcome = await submitPlan(nc, { kind, batch, jobs, size: jobs.length, handlers: plan.handlers ?? [...new Set(jobs.map((j) => j.handler))], ...times(jobs) }, {
      timeoutMs: opts.waitMs ?? this.opts.waitMs ?? clientDefaults.waitMs,
      onProgress: opts.onProgress,
      onJobProgress: opts.onJobProgress ? (p: ProgressV1) => opts.onJobProgress!({ ...p }) : undefined,
      topology: this.opts.topology,
      lostGraceMs: this.graceMs,
      create: opts.create,
    }).catch((err) => {
      if (isTransientNatsError(err)) throw new NatsUnreachableError(`NATS did not answer within ${this.graceMs}ms (unreachableGraceMs): ${(err as Error).message}`, jobs.map((j) => j.id), [], { cause: err });
      forLibrary(err);
    });
    const results = out.results.map((r) => (r ? fromWire<R>(r) : undefined));
    const missing = jobs.filter((_, i) => !results[i]).map((j) => j.id);
    if (missing.length && out.lost) {
      throw new NatsUnreachableError(
        `lost the connection to NATS and it did not come back within ${this.graceMs}ms (unreachableGraceMs): ${missing.length} of ${jobs.length} results ` +
          `did not arrive (first missing: ${missing[0]}); the jobs may still run: read their results later with client.result(id)`,
        missing,
        results,
      );
    }
    if (missing.length) {
      throw new ResultTimeoutError(
        `${missing.length} of ${jobs.length} results did not arrive within ${opts.waitMs ?? this.opts.waitMs ?? clientDefaults.waitMs}ms ` +
          `(first missing: ${missing[0]}); they may still come: read them later with client.result(id)`,
        missing,
        results,
      );
    }
    return results as JobResult<R>[];
  }
}

function batchId(opts: { batch?: string }, what: string): string {
  const batch = opts.batch ?? newId();
  checkToken(what, "batch", batch);
  return batch;
}

function checkToken(what: string, field: string, value: unknown): void {
  if (typeof value !== "string") throw new InputError(`${what}: ${field} must be a string (got ${typeof value})`);
  const p = tokenProblem(value);
  if (p) throw new InputError(`${what}: ${field} "${value}" ${p}`);
}

// The submit path's messages speak to the CLI's user (`--create`); a library caller has an option instead.
function forLibrary(err: unknown): never {
  if (err instanceof InputError && err.message.includes("--create")) {
    throw new InputError(
      err.message
        .replace(/start a worker that has it \(plugins: docctl worker --plugins DIR\), tell the manager \(docctl manager --handlers [^)]*\), or submit with --create to queue it anyway\./, "start a Worker that has it, or pass `create: true` to queue it anyway.")
        .replace(/add with --create/, "pass `create: true`"),
      { cause: err },
    );
  }
  throw err;
}

function job(handler: string, id: string, payload: unknown, o: Pick<JobOptions, "attempts" | "attemptTimeoutMs" | "delay" | "runAt" | "priority" | "backoff" | "keepResult" | "keepFailed">): PlannedJob {
  checkToken("submit", "handler", handler);
  if (o.priority !== undefined && !PRIORITIES.includes(o.priority)) throw new InputError(`priority must be one of ${PRIORITIES.join(", ")} (got ${JSON.stringify(o.priority)})`);
  if (o.delay !== undefined && o.runAt !== undefined) throw new InputError("give delay or runAt, not both");
  let delay_ms: number | undefined;
  try {
    delay_ms = o.delay === undefined ? undefined : typeof o.delay === "number" ? o.delay : parseDuration(o.delay, "delay");
  } catch (err) {
    throw new InputError((err as Error).message, { cause: err });
  }
  if (delay_ms !== undefined && !(Number.isFinite(delay_ms) && delay_ms >= 0)) throw new InputError(`delay must be a duration of at least 0 (got ${o.delay})`);
  const run_at = o.runAt === undefined ? undefined : typeof o.runAt === "number" ? o.runAt : o.runAt.getTime();
  if (run_at !== undefined && !(Number.isFinite(run_at) && run_at >= Date.now())) throw new InputError(`runAt ${new Date(run_at).toISOString?.() ?? run_at} is in the past; give a future time, or leave it out to run at once`);
  const keep = (v: number | string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const ms = typeof v === "number" ? v : parseDuration(v, name);
    if (!(Number.isFinite(ms) && ms >= 1000)) throw new InputError(`${name} must be at least 1 s (got ${v})`);
    return Math.round(ms);
  };
  let backoff: BackoffV1 | undefined;
  if (o.backoff !== undefined) {
    try {
      backoff = parseBackoff(o.backoff, "backoff");
    } catch (err) {
      throw new InputError((err as Error).message);
    }
  }
  return {
    handler,
    id,
    payload,
    attempts: o.attempts,
    timeout_ms: o.attemptTimeoutMs,
    priority: o.priority === "normal" ? undefined : o.priority,
    delay_ms: delay_ms || undefined,
    run_at,
    backoff,
    keep_result_ms: keep(o.keepResult, "keepResult"),
    keep_failed_ms: keep(o.keepFailed, "keepFailed"),
  };
}

// The plan's longest wait, checked against the delayed stream's retention at submit.
function times(jobs: PlannedJob[]): Pick<SubmitPlan, "longestDelayMs" | "latestRunAt"> {
  const out: Pick<SubmitPlan, "longestDelayMs" | "latestRunAt"> = {};
  for (const j of jobs) {
    if (j.delay_ms) out.longestDelayMs = Math.max(out.longestDelayMs ?? 0, j.delay_ms);
    if (j.run_at !== undefined) out.latestRunAt = Math.max(out.latestRunAt ?? 0, j.run_at);
  }
  return out;
}
