// Client: submit jobs and batches from code and get their typed results, over the v1 wire.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { newId, type PlannedJob } from "../runtime/client/jobfile.ts";
import { readResult, startBatch, submitPlan, type SubmitOutcome } from "../runtime/client/submit.ts";
import { tokenProblem } from "../runtime/protocol/subjects.ts";
import type { TopologyOptions } from "../runtime/nats/topology.ts";
import { holdConnection, releaseConnection, type HeldConnection, type NatsTarget } from "./connection.ts";
import { fromWire, ResultTimeoutError, type JobResult } from "./result.ts";

/** Options of a Client. */
export interface ClientOptions extends NatsTarget {
  /** how long submit() and submitBatch() wait for results, ms (default 5 min) */
  waitMs?: number;
  /** stream limits used when the client is the first to create the streams */
  topology?: Partial<TopologyOptions>;
}

/** Per-job options of submit() and submitBatch(). */
export interface JobOptions {
  /** attempts before the job is dead-lettered (overrides the handler's) */
  attempts?: number;
  /** time limit of one attempt, ms (overrides the handler's) */
  attemptTimeoutMs?: number;
  /** how long to wait for the result(s), ms (overrides the client's) */
  waitMs?: number;
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

export const clientDefaults = { waitMs: 5 * 60_000 };

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

  /** The NATS connection (opened on first use). For methods built on the client. */
  protected async connection(): Promise<NatsConnection> {
    if (this.closed) throw new Error("this Client is closed");
    this.held ??= holdConnection(this.opts, "docctl client", false);
    return (await this.held).nc;
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
      topology: this.opts.topology,
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
      throw new ResultTimeoutError(
        `${s.missing} of ${s.submitted} submitted results did not arrive within ${waitMs}ms (first missing: ${missing[0]}); ` +
          `they may still come: read them later with client.result(id)`,
        missing,
        [],
      );
    }
  }

  /** The stored result of job `id` (whatever its batch), or undefined while there is none. */
  async result<R = unknown>(id: string): Promise<JobResult<R> | undefined> {
    const r = await readResult(jetstream(await this.connection()), id);
    return r ? fromWire<R>(r) : undefined;
  }

  /** Close the connection if the client opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const held = await this.held?.catch(() => undefined);
    await releaseConnection(held);
  }

  private async run<R>(batch: string, jobs: PlannedJob[], opts: JobOptions & { onProgress?: SubmitBatchOptions["onProgress"] }): Promise<JobResult<R>[]> {
    const nc = await this.connection();
    const out: SubmitOutcome = await submitPlan(nc, { kind: jobs.length === 1 && jobs[0]!.id === batch ? "single" : "batch", batch, jobs }, {
      timeoutMs: opts.waitMs ?? this.opts.waitMs ?? clientDefaults.waitMs,
      onProgress: opts.onProgress,
      topology: this.opts.topology,
    });
    const results = out.results.map((r) => (r ? fromWire<R>(r) : undefined));
    const missing = jobs.filter((_, i) => !results[i]).map((j) => j.id);
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

function job(handler: string, id: string, payload: unknown, o: JobOptions): PlannedJob {
  const p = tokenProblem(handler);
  if (p) throw new TypeError(`handler "${handler}" ${p}`);
  return { handler, id, payload, attempts: o.attempts, timeout_ms: o.attemptTimeoutMs };
}
