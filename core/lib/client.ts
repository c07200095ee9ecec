// Client: submit jobs and batches from code and get their typed results, over the v1 wire. Its
// options are in client-options.ts, its connection handling in client-connection.ts, job checks in
// job-plan.ts, waiting for results in client-run.ts; job control calls core/runtime/client/*.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { newId, type PlannedJob, type SubmitPlan } from "../runtime/client/jobfile.ts";
import { cancelBatch, cancelJobs, type CancelOutcome } from "../runtime/client/cancel.ts";
import { jobInfo } from "../runtime/client/job-state.ts";
import { toJobInfo, type JobInfo } from "./shapes.ts";
import { jobLogs } from "../runtime/client/job-logs.ts";
import { promoteJob, purgeJobs, removeDead, reprioritizeJob, type PurgeState } from "../runtime/client/queue-ops.ts";
import type { JobLogLineV1 } from "../runtime/protocol/job-log.ts";
import { updateJobData, type UpdateOutcome } from "../runtime/client/update-data.ts";
import { putLifo } from "../runtime/client/lifo.ts";
import { followEvents, type EventFeed, type EventKind } from "../runtime/client/events.ts";
import { countJobs, queryJobs, type JobQuery } from "../runtime/client/job-index.ts";
import type { JobState } from "../runtime/client/job-state.ts";
import type { StepV1, ThenV1 } from "../runtime/protocol/codec.ts";
import type { Priority } from "../runtime/protocol/subjects.ts";
import { parseDuration } from "../runtime/util/duration.ts";
import { readResult, submitPlan } from "../runtime/client/submit.ts";
import { fromWire, JobFailedError, type JobResult } from "./result.ts";
import { CancelledError, InputError } from "../runtime/protocol/errors.ts";
import type { HandlerMap, HandlerName, IsUntyped, PayloadFor, ResultFor, UntypedHandlers } from "./handler.ts";
import { ClientConnection } from "./client-connection.ts";
import { refuseReused, runJobs, streamResults } from "./client-run.ts";
import { batchId, checkToken, forLibrary, job, times } from "./job-plan.ts";
import type { ChainStep, ClientOptions, ClientStatus, EnqueueOptions, JobOptions, JobPage, StreamBatchOptions, SubmitBatchOptions, SubmitOptions, ThenStep } from "./client-options.ts";

export {
  clientDefaults,
  type ClientOptions,
  type ClientStatus,
  type JobOptions,
  type JobProgressEvent,
  type ChainStep,
  type ThenStep,
  type JobPage,
  type SubmitOptions,
  type SubmitBatchOptions,
  type StreamBatchOptions,
  type EnqueueOptions,
} from "./client-options.ts";

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
  private readonly conn: ClientConnection;

  constructor(private readonly opts: ClientOptions) {
    if (!opts || (typeof opts.nats !== "string" && typeof opts.nats?.publish !== "function")) {
      throw new InputError("new Client({ nats }): `nats` must be a server URL or a NatsConnection");
    }
    this.conn = new ClientConnection(opts);
  }

  /** The NATS connection (opened on first use, and again after one closed for good). For methods built on the client. */
  protected async connection(): Promise<NatsConnection> {
    return this.conn.get();
  }

  /**
   * The connection's changes as they happen: `for await (const s of client.status()) ...`. Ends when
   * the connection closes for good (a "close" event) or the loop is left.
   */
  status(): AsyncGenerator<ClientStatus, void, undefined> {
    return this.conn.status();
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
    const planned = job(handler, id, payload, opts);
    // lifo: published at the head of its queue first; the submit below is then a duplicate that waits
    if (opts.lifo) await putLifo(await this.connection(), planned, { create: opts.create, topology: this.opts.topology }).catch(forLibrary);
    const outcome = await this.runJobs<unknown>(id, [planned], opts);
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

  private stream<R = unknown>(handler: string, payloads: Iterable<unknown> | AsyncIterable<unknown>, opts: StreamBatchOptions): AsyncGenerator<JobResult<R>, void, undefined> {
    return streamResults<R>(this.conn, this.opts, handler, payloads, opts);
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
    if (opts.lifo) {
      await putLifo(await this.connection(), planned, { create: opts.create, topology: this.opts.topology }).catch(forLibrary);
      return id;
    }
    await submitPlan(await this.connection(), { kind: "single", batch: id, jobs: [planned], ...times([planned]) }, { wait: false, topology: this.opts.topology, create: opts.create }).catch(forLibrary);
    return id;
  }

  /**
   * Run `steps` one after the other: a step without `payload` receives the previous step's value; the
   * result is the last step's (its id is the chain's, `opts.id`). The steps are published by the
   * workers as each one succeeds, so the chain survives this process and any worker dying.
   */
  async chain<R = unknown>(steps: ChainStep<H>[], opts: Omit<SubmitOptions, "priority" | "lifo"> = {}): Promise<JobResult<R>> {
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
    return this.conn.call("cancel", (nc) => cancelJobs(nc, ids));
  }

  /** Cancel every job of a batch. */
  async cancelBatch(batch: string): Promise<CancelOutcome[]> {
    return this.conn.call("cancelBatch", (nc) => cancelBatch(nc, batch));
  }

  /**
   * Where job `id` stands (scheduled, queued, running with worker and progress, done, failed, cancelled,
   * dead), or undefined; a finished job's `result` is a JobResult like submit()'s.
   */
  async job<R = unknown>(id: string): Promise<JobInfo<R> | undefined> {
    const j = await this.conn.call("job", (nc) => jobInfo(nc, id));
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

  private async refuseReused(id: string): Promise<void> {
    await refuseReused(await this.connection(), id);
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

  /**
   * Replace the payload of job `id` while it has not started (BullMQ's job.updateData): scheduled (due
   * time kept), queued (to the back of its priority's queue) or waiting for a retry (next attempt time
   * and attempts left kept). It runs once, with one of the two payloads: `{ updated: false, state, why }`
   * when a worker has it already (running) or it is finished.
   * @throws InputError for an unknown job or a payload the wire cannot carry
   */
  async updateData(id: string, data: unknown): Promise<UpdateOutcome> {
    return updateJobData(await this.connection(), id, data);
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
    const r = await this.conn.call("result", (nc) => readResult(jetstream(nc), id));
    return r ? fromWire<R>(r) : undefined;
  }

  /** Close the connection if the client opened it. Idempotent. */
  async close(): Promise<void> {
    await this.conn.close();
  }

  private runJobs<R>(batch: string, jobs: PlannedJob[], opts: JobOptions & { onProgress?: SubmitBatchOptions["onProgress"] }, plan: Partial<SubmitPlan> = {}): Promise<JobResult<R>[]> {
    return runJobs<R>(this.conn, this.opts, batch, jobs, opts, plan);
  }
}
