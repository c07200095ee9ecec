// Client: submit jobs and batches from code and get their typed results, over the v1 wire.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { newId, type PlannedJob, type SubmitPlan } from "../runtime/client/jobfile.ts";
import { cancelBatch, cancelJobs, type CancelOutcome } from "../runtime/client/cancel.ts";
import { jobInfo, type JobInfo } from "../runtime/client/job-state.ts";
import type { ProgressV1, StepV1, ThenV1 } from "../runtime/protocol/codec.ts";
import { PRIORITIES, type Priority } from "../runtime/protocol/subjects.ts";
import { parseDuration } from "../runtime/util/duration.ts";
import { readResult, startBatch, submitPlan, type SubmitOutcome } from "../runtime/client/submit.ts";
import { tokenProblem } from "../runtime/protocol/subjects.ts";
import type { TopologyOptions } from "../runtime/nats/topology.ts";
import { holdConnection, releaseConnection, type HeldConnection, type NatsTarget } from "./connection.ts";
import { fromWire, NatsUnreachableError, ResultTimeoutError, type JobResult } from "./result.ts";
import { UnreachableError } from "../runtime/protocol/errors.ts";
import { isTransientNatsError } from "../runtime/nats/errors.ts";
import { natsSetupBackoff, retrying } from "../runtime/util/backoff.ts";

/** Options of a Client. */
export interface ClientOptions extends NatsTarget {
  /** how long submit() and submitBatch() wait for results, ms (default 5 min) */
  waitMs?: number;
  /** stream limits used when the client is the first to create the streams */
  topology?: Partial<TopologyOptions>;
  /**
   * reconnect attempts per server after the connection is lost, as nats.js's option of that name;
   * -1 (default): without end, so a NATS restart or a network blip never leaves a dead Client
   */
  maxReconnectAttempts?: number;
  /** ms between reconnect attempts to one server, as nats.js's option of that name (default 250) */
  reconnectTimeWait?: number;
  /**
   * how long a call or a wait for results rides out a lost connection before it fails with
   * NatsUnreachableError (code NATS_UNREACHABLE), ms (default 30 s); the connection keeps trying after
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
  /** attempts before the job is dead-lettered (overrides the handler's) */
  attempts?: number;
  /** time limit of one attempt, ms (overrides the handler's) */
  attemptTimeoutMs?: number;
  /** how long to wait for the result(s), ms (overrides the client's) */
  waitMs?: number;
  /** start later: ms, or a duration like "30s", "10m" (the job waits in JetStream, not in this process) */
  delay?: number | string;
  /** start at this time (instead of `delay`) */
  runAt?: Date | number;
  /** "high", "normal" (default) or "low": a free worker slot takes high before normal before low */
  priority?: Priority;
  /** progress reports of the running job(s) (`ctx.progress()` in the handler) */
  onJobProgress?(p: JobProgressEvent): void;
}

/** A progress report of a running job, as the handler sent it. */
export interface JobProgressEvent {
  id: string;
  batch: string;
  handler: string;
  worker: string;
  /** 0..1, when the handler gave one (or done/total) */
  fraction?: number;
  done?: number;
  total?: number;
  message?: string;
  at: number;
}

/** One step of a chain: without `payload` it receives the previous step's value. */
export interface ChainStep {
  handler: string;
  payload?: unknown;
  attempts?: number;
  attemptTimeoutMs?: number;
  priority?: Priority;
}

/** The reduce step of batchThen(): it receives the items' values in input order. */
export interface ThenStep {
  handler: string;
  /** "fail" (default): the reduce fails with WORKFLOW_FAILED when an item failed; "null": failed items are passed as null */
  onFailure?: "fail" | "null";
  attempts?: number;
  attemptTimeoutMs?: number;
  priority?: Priority;
}

/** Options of submit(). */
export interface SubmitOptions extends JobOptions {
  /** the job id (a subject-safe token); a re-submit with the same id inside the duplicate window is not run again */
  id?: string;
}

/** Options of submitBatch(). */
export interface SubmitBatchOptions extends JobOptions {
  /** the batch id (a token); job i gets the id `<batch>-<i>` */
  batch?: string;
  /** called as results arrive */
  onProgress?(p: { done: number; failed: number; total: number }): void;
}

/** Options of streamBatch(). */
export interface StreamBatchOptions extends SubmitBatchOptions {
  /** jobs submitted ahead of the results handed out, at most (default 4096) */
  window?: number;
}

export const clientDefaults = { waitMs: 5 * 60_000, maxReconnectAttempts: -1, reconnectTimeWait: 250, unreachableGraceMs: 30_000 };

/**
 * Submits jobs and reads results. Connects on first use; `close()` closes a connection it opened
 * (a connection passed in as `nats` stays open).
 */
export class Client {
  private held?: Promise<HeldConnection>;
  private closed = false;

  constructor(private readonly opts: ClientOptions) {
    if (!opts || (typeof opts.nats !== "string" && typeof opts.nats?.publish !== "function")) {
      throw new TypeError("new Client({ nats }): `nats` must be a server URL or a NatsConnection");
    }
  }

  /** The NATS connection (opened on first use, and again after one closed for good). For methods built on the client. */
  protected async connection(): Promise<NatsConnection> {
    if (this.closed) throw new Error("this Client is closed");
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

  /** Run `handler` on `payload` and wait for its result. */
  async submit<R = unknown, P = unknown>(handler: string, payload: P, opts: SubmitOptions = {}): Promise<JobResult<R>> {
    const id = opts.id ?? newId();
    const p = tokenProblem(id);
    if (p) throw new TypeError(`submit: id "${id}" ${p}`);
    const outcome = await this.run<R>(id, [job(handler, id, payload, opts)], opts);
    return outcome[0]!;
  }

  /**
   * Run `handler` on each payload (an array, or any iterable or async iterable); the results come in
   * the order of `payloads`. For batches too big to hold, use streamBatch().
   */
  async submitBatch<R = unknown, P = unknown>(handler: string, payloads: Iterable<P> | AsyncIterable<P>, opts: SubmitBatchOptions = {}): Promise<JobResult<R>[]> {
    const batch = batchId(opts, "submitBatch");
    if (Array.isArray(payloads)) {
      if (payloads.length === 0) return [];
      return await this.run<R>(batch, payloads.map((payload, i) => job(handler, `${batch}-${i}`, payload, opts)), opts);
    }
    const out: JobResult<R>[] = [];
    for await (const r of this.streamBatch<R, P>(handler, payloads, { ...opts, batch })) out.push(r);
    return out;
  }

  /**
   * Run `handler` on each payload and hand the results out as they come, in input order:
   * `for await (const r of client.streamBatch("pdf", payloads())) ...`. Payloads are taken from the
   * iterable only as far as `window` allows, so memory stays flat for a batch of any size. Throws
   * ResultTimeoutError (after the results that did come) when the wait runs out.
   */
  async *streamBatch<R = unknown, P = unknown>(handler: string, payloads: Iterable<P> | AsyncIterable<P>, opts: StreamBatchOptions = {}): AsyncGenerator<JobResult<R>, void, undefined> {
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
    });
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

  /** Queue `handler` on `payload` and return its id at once (fire and forget; read it later with result() or job()). */
  async enqueue<P = unknown>(handler: string, payload: P, opts: Omit<SubmitOptions, "waitMs" | "onJobProgress"> = {}): Promise<string> {
    const id = opts.id ?? newId();
    const p = tokenProblem(id);
    if (p) throw new TypeError(`enqueue: id "${id}" ${p}`);
    await submitPlan(await this.connection(), { kind: "single", batch: id, jobs: [job(handler, id, payload, opts)], ...times([job(handler, id, payload, opts)]) }, { wait: false, topology: this.opts.topology });
    return id;
  }

  /**
   * Run `steps` one after the other: a step without `payload` receives the previous step's value; the
   * result is the last step's (its id is the chain's, `opts.id`). The steps are published by the
   * workers as each one succeeds, so the chain survives this process and any worker dying.
   */
  async chain<R = unknown>(steps: ChainStep[], opts: Omit<SubmitOptions, "priority"> = {}): Promise<JobResult<R>> {
    if (!Array.isArray(steps) || !steps.length) throw new TypeError("chain: give at least one step");
    const id = opts.id ?? newId();
    const p = tokenProblem(id);
    if (p) throw new TypeError(`chain: id "${id}" ${p}`);
    const wire: StepV1[] = steps.map((s, i) => ({
      ...job(s.handler, i === steps.length - 1 ? id : `${id}-${i}`, s.payload, { attempts: s.attempts, attemptTimeoutMs: s.attemptTimeoutMs, priority: s.priority }),
      ...(s.payload === undefined ? { payload: undefined } : {}),
    }));
    const [first, ...next] = wire;
    const head: PlannedJob = { ...job(first!.handler, first!.id, first!.payload ?? null, { ...opts, priority: first!.priority }), next: next.length ? next : undefined, resultId: id };
    const handlers = [...new Set(steps.map((s) => s.handler))];
    const out = await this.run<R>(id, [head], opts, { kind: "chain", handlers });
    return out[0]!;
  }

  /**
   * Map-reduce: run `handler` on each payload, then `then.handler` on the array of their values (input
   * order). Resolves with the items' results and the reduce step's. Named batchThen, not then: a
   * `then` method would make every Client a thenable that `await` unwraps.
   */
  async batchThen<R = unknown, I = unknown, P = unknown>(
    handler: string,
    payloads: P[],
    then: ThenStep,
    opts: SubmitBatchOptions = {},
  ): Promise<{ items: JobResult<I>[]; then: JobResult<R> }> {
    if (!Array.isArray(payloads) || !payloads.length) throw new TypeError("batchThen: give a non-empty array of payloads");
    const batch = batchId(opts, "batchThen");
    const step: ThenV1 = {
      ...job(then.handler, `${batch}-then`, null, { attempts: then.attempts, attemptTimeoutMs: then.attemptTimeoutMs, priority: then.priority }),
      count: payloads.length,
      on_failure: then.onFailure,
    };
    delete (step as { payload?: unknown }).payload;
    const items: PlannedJob[] = payloads.map((payload, i) => ({ ...job(handler, `${batch}-${i}`, payload, opts), then: step }));
    const all = await this.run<unknown>(batch, [...items, { id: step.id, handler: step.handler, payload: null, virtual: true }], opts, { kind: "batch", handlers: [handler, then.handler] });
    return { items: all.slice(0, -1) as JobResult<I>[], then: all[all.length - 1] as JobResult<R> };
  }

  /** Cancel jobs by id (a chain's id cancels the chain): queued or scheduled ones never run, running ones get ctx.signal aborted. */
  async cancel(...ids: string[]): Promise<CancelOutcome[]> {
    return this.call("cancel", (nc) => cancelJobs(nc, ids));
  }

  /** Cancel every job of a batch. */
  async cancelBatch(batch: string): Promise<CancelOutcome[]> {
    return this.call("cancelBatch", (nc) => cancelBatch(nc, batch));
  }

  /** Where job `id` stands (scheduled, queued, running with worker and progress, done, failed, cancelled, dead), or undefined. */
  async job(id: string): Promise<JobInfo | undefined> {
    return this.call("job", (nc) => jobInfo(nc, id));
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

  private async run<R>(batch: string, jobs: PlannedJob[], opts: JobOptions & { onProgress?: SubmitBatchOptions["onProgress"] }, plan: Partial<SubmitPlan> = {}): Promise<JobResult<R>[]> {
    const nc = await this.connection();
    const kind = plan.kind ?? (jobs.length === 1 && jobs[0]!.id === batch ? "single" : "batch");
    const out: SubmitOutcome = await submitPlan(nc, { kind, batch, jobs, size: jobs.length, handlers: plan.handlers ?? [...new Set(jobs.map((j) => j.handler))], ...times(jobs) }, {
      timeoutMs: opts.waitMs ?? this.opts.waitMs ?? clientDefaults.waitMs,
      onProgress: opts.onProgress,
      onJobProgress: opts.onJobProgress ? (p: ProgressV1) => opts.onJobProgress!({ ...p }) : undefined,
      topology: this.opts.topology,
      lostGraceMs: this.graceMs,
    }).catch((err) => {
      if (isTransientNatsError(err)) throw new NatsUnreachableError(`NATS did not answer within ${this.graceMs}ms (unreachableGraceMs): ${(err as Error).message}`, jobs.map((j) => j.id), [], { cause: err });
      throw err;
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
  const p = tokenProblem(batch);
  if (p) throw new TypeError(`${what}: batch "${batch}" ${p}`);
  return batch;
}

function job(handler: string, id: string, payload: unknown, o: Pick<JobOptions, "attempts" | "attemptTimeoutMs" | "delay" | "runAt" | "priority">): PlannedJob {
  const p = tokenProblem(handler);
  if (p) throw new TypeError(`handler "${handler}" ${p}`);
  if (o.priority !== undefined && !PRIORITIES.includes(o.priority)) throw new TypeError(`priority must be one of ${PRIORITIES.join(", ")} (got ${JSON.stringify(o.priority)})`);
  if (o.delay !== undefined && o.runAt !== undefined) throw new TypeError("give delay or runAt, not both");
  const delay_ms = o.delay === undefined ? undefined : typeof o.delay === "number" ? o.delay : parseDuration(o.delay, "delay");
  if (delay_ms !== undefined && !(Number.isFinite(delay_ms) && delay_ms >= 0)) throw new TypeError(`delay must be a duration of at least 0 (got ${o.delay})`);
  const run_at = o.runAt === undefined ? undefined : typeof o.runAt === "number" ? o.runAt : o.runAt.getTime();
  if (run_at !== undefined && !(Number.isFinite(run_at) && run_at >= Date.now())) throw new TypeError(`runAt ${new Date(run_at).toISOString?.() ?? run_at} is in the past; give a future time, or leave it out to run at once`);
  return { handler, id, payload, attempts: o.attempts, timeout_ms: o.attemptTimeoutMs, priority: o.priority === "normal" ? undefined : o.priority, delay_ms: delay_ms || undefined, run_at };
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
