// Submitting jobs and collecting their results (in input order), usable from code and from the CLI.
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { MAX_TIMEOUT_MS, decodeProgress, decodeResult, encodeJob, jobHash, payloadProblem, type JobV1, type ProgressV1, type ResultV1 } from "../protocol/codec.ts";
import { InputError, ServerError, storeProblem } from "../protocol/errors.ts";
import { tokenProblem } from "../protocol/subjects.ts";
import { isTransientNatsError } from "../nats/errors.ts";
import type { PlannedJob, SubmitPlan } from "./jobfile.ts";
import { newId } from "./jobfile.ts";
import { STREAM_DELAYED, STREAM_RESULTS, delayedSubject, prioritySubject } from "../protocol/subjects.ts";
import { formatDuration } from "../util/duration.ts";
import { natsPublishBackoff, natsSetupBackoff, retrying } from "../util/backoff.ts";
import { ensureStreams, topologyDefaults, type TopologyOptions } from "../nats/topology.ts";
import { knownHandlerNames } from "../nats/handlers.ts";
import { JetStreamPublisher } from "../nats/publisher.ts";

export interface SubmitOptions {
  /** wait for the results (default true); false = fire and forget */
  wait?: boolean;
  /** give up waiting after this many ms (default 5 min) */
  timeoutMs?: number;
  /** write documents named by results into this directory (as they arrive) */
  outDir?: string;
  /** stop waiting at the first failed result */
  failFast?: boolean;
  /**
   * jobs submitted but not yet handed out in order, at most (default 4096): bounds the submitter's
   * memory whatever the batch size; the next job is published when the oldest one's result is out
   */
  window?: number;
  /**
   * called as results and progress reports arrive; `partial` is the sum of the reported fractions
   * (0..1) of jobs still running, so `done + partial` moves with long jobs' progress
   */
  onProgress?(p: { done: number; failed: number; total: number; partial: number }): void;
  /** called with each progress report of a running job of this submit (ctx.progress in the handler) */
  onJobProgress?(p: ProgressV1): void;
  /** called for each result as it arrives (arrival order) */
  onResult?(r: CollectedResult, index: number): void;
  /** called for each job once JetStream has stored it (or found it a duplicate) */
  onPublished?(id: string, index: number, duplicate: boolean): void;
  /** queue jobs for handlers the fleet does not know yet (no worker or manager registered them); default false: refused as a likely typo */
  create?: boolean;
  /**
   * when the connection to NATS is lost, how long to wait for it to come back before giving up with
   * what has arrived (`lost` in the summary), ms; default: keep trying until `timeoutMs`
   */
  lostGraceMs?: number;
  /** stream limits to create the streams with, when they do not exist yet */
  topology?: Partial<TopologyOptions>;
}

/** A result, plus where its document was written. */
export type CollectedResult = ResultV1 & { saved_to?: string; save_error?: string };

export interface SubmitOutcome {
  batch: string;
  ids: string[];
  /** in input order; undefined where no result came in time */
  results: (CollectedResult | undefined)[];
  /** jobs JetStream had seen before inside the duplicate window (not run again) */
  duplicates: number;
  timedOut: boolean;
  /** the connection to NATS was lost and did not come back within `lostGraceMs` */
  lost?: boolean;
}

/** One result handed out by a BatchRun, with its job's place in the input. */
export interface OrderedResult {
  index: number;
  result: CollectedResult;
}

/** Where a BatchRun stands; final once its results are all handed out. */
export interface BatchSummary {
  batch: string;
  /** jobs published (stored by JetStream, or found to be duplicates) */
  submitted: number;
  duplicates: number;
  /** results in, failed ones among them */
  done: number;
  failed: number;
  /** jobs published whose result did not come (timeout, --fail-fast) */
  missing: number;
  /** jobs of the plan never published (the run stopped first), when the plan's size is known */
  notSubmitted: number;
  timedOut: boolean;
  /** the connection to NATS was lost and did not come back within `lostGraceMs` */
  lost: boolean;
  /** stopped at a failed result (failFast) */
  stoppedEarly: boolean;
}

export const submitDefaults = { wait: true, timeoutMs: 5 * 60_000, publishWindow: 256, window: 4096, duplicateGraceMs: 1_000 };

/**
 * A batch in flight: `for await (const { index, result } of run)` hands out results in input order
 * as they come in, while jobs are published so that at most `window` are waiting to be handed out.
 * Memory stays bounded by the window, not the batch. `summary()` says where it stands.
 */
export interface BatchRun extends AsyncIterable<OrderedResult> {
  readonly batch: string;
  summary(): BatchSummary;
  /** stop publishing and waiting (the iteration ends) */
  stop(): void;
}

/** Publish every job of `plan` (deduplicated by id) and, unless told not to, wait for their results. */
export async function submitPlan(nc: NatsConnection, plan: SubmitPlan, opts: SubmitOptions = {}): Promise<SubmitOutcome> {
  const ids: string[] = [];
  const results: (CollectedResult | undefined)[] = [];
  const run = await startBatch(nc, plan, { ...opts, onPublished: (id, i, dup) => ((ids[i] = id), opts.onPublished?.(id, i, dup)) });
  for await (const { index, result } of run) results[index] = result;
  results.length = ids.length;
  const s = run.summary();
  return { batch: s.batch, ids, results, duplicates: s.duplicates, timedOut: s.timedOut, ...(s.lost ? { lost: true } : {}) };
}

/** Library form of a map-reduce batch: run `handler` over `payloads`, results in input order. */
export async function submitBatch(
  nc: NatsConnection,
  handler: string,
  payloads: Iterable<unknown> | AsyncIterable<unknown>,
  opts: SubmitOptions & { batch?: string } = {},
): Promise<SubmitOutcome> {
  return submitPlan(nc, batchPlan(handler, payloads, opts.batch), opts);
}

/** Like submitBatch, but the results come as an async iterator (input order) as they arrive: any batch size. */
export async function streamBatch(
  nc: NatsConnection,
  handler: string,
  payloads: Iterable<unknown> | AsyncIterable<unknown>,
  opts: SubmitOptions & { batch?: string } = {},
): Promise<BatchRun> {
  return startBatch(nc, batchPlan(handler, payloads, opts.batch), opts);
}

function batchPlan(handler: string, payloads: Iterable<unknown> | AsyncIterable<unknown>, id?: string): SubmitPlan {
  const batch = id ?? newId();
  const size = Array.isArray(payloads) ? payloads.length : undefined;
  async function* jobs() {
    let i = 0;
    for await (const payload of payloads) yield { handler, id: `${batch}-${i++}`, payload };
  }
  // An array stays synchronous (no await per job).
  const sync = Array.isArray(payloads) ? payloads.map((payload, i) => ({ handler, id: `${batch}-${i}`, payload })) : undefined;
  return { kind: "batch", batch, size, handlers: [handler], jobs: sync ?? jobs() };
}

/**
 * Checks the streams and job types, then starts publishing `plan`'s jobs; the returned run hands out
 * the results. Errors before anything is published (unknown handler, NATS away) reject here.
 */
export async function startBatch(nc: NatsConnection, plan: SubmitPlan, opts: SubmitOptions = {}): Promise<BatchRun> {
  const jsm = await jetstreamManager(nc);
  // The checks before publishing ride out a server that is away or electing leaders (a restart, a
  // cluster node down or still joining) for up to 30 s, as the publishes after them do.
  const known = await retrying(
    async () => {
      // Create-only: a submitter must not reconfigure streams a worker set up (replicas, retention).
      await ensureStreams(jsm, { ...topologyDefaults, ...opts.topology }, { createOnly: true });
      // A handler the fleet knows (recorded by a worker or a manager) is accepted even with no worker
      // running: the job waits and a manager scales up for it. One nobody knows is most likely a typo.
      const known = opts.create ? undefined : new Set(await knownHandlerNames(nc));
      for (const h of plan.handlers ?? []) checkHandler(h, known);
      await checkDelays(jsm, plan);
      return known;
    },
    { backoff: natsSetupBackoff, giveUpAt: Date.now() + Math.min(opts.timeoutMs ?? 30_000, 30_000), retryable: (err) => isTransientNatsError(err) && !nc.isClosed() },
  );
  const run = new Run(nc, jetstream(nc), plan, opts, known);
  // A file with a job that may be over the server's limit (msgpack can be ~3x a short JSON number):
  // every job is encoded once ahead, so nothing is published from a file that would fail half-way.
  const max = nc.info?.max_payload ?? 1024 * 1024;
  if (plan.largestJob !== undefined && plan.largestJob * 3 + 512 > max && Symbol.iterator in plan.jobs) {
    let i = 0;
    for (const j of plan.jobs as Iterable<PlannedJob>) run.encode(j, i++);
  }
  await run.start();
  return run;
}

// A delay the delayed stream would not keep is refused: never a job that silently never runs.
async function checkDelays(jsm: Awaited<ReturnType<typeof jetstreamManager>>, plan: SubmitPlan): Promise<void> {
  const now = Date.now();
  const longest = Math.max(plan.longestDelayMs ?? 0, (plan.latestRunAt ?? 0) - now);
  if (longest <= 0 && plan.latestRunAt === undefined) return;
  const info = await jsm.streams.info(STREAM_DELAYED);
  const maxAge = Math.round((info.config.max_age ?? 0) / 1e6);
  if (maxAge > 0 && longest >= maxAge) {
    throw new InputError(
      `a job would wait ${formatDuration(longest)} before it starts, longer than delayed jobs are kept (${formatDuration(maxAge)}, the max age of stream ${STREAM_DELAYED}); ` +
        `use a schedule (docctl schedule add) for work that far ahead`,
    );
  }
}

function checkHandler(h: string, known: Set<string> | undefined) {
  if (!known || known.has(h)) return;
  throw new InputError(
    `unknown handler "${h}": no worker or manager has registered it (known: ${[...known].join(", ") || "none yet, start a worker"}). ` +
      `Check the name; or start a worker that has it (plugins: docctl worker --plugins DIR), tell the manager (docctl manager --handlers ${h}), ` +
      `or submit with --create to queue it anyway.`,
  );
}

class Run implements BatchRun {
  readonly batch: string;
  private wait: boolean;
  private window: number;
  private deadline: number;
  private nextPub = 0;
  private nextEmit = 0;
  private published = false;
  /** results in (or being saved), not yet handed out: at most `window` */
  private pending = new Map<number, CollectedResult | Promise<CollectedResult>>();
  /** jobs published whose result has not come, by id (ids of a batch plan map to their index directly) */
  private inFlight = new Map<string, number>();
  /** results that came before their job was published (a re-run reading stored results) */
  private early = new Map<string, ResultV1>();
  /** published as duplicates: their result may be on another batch's subject, read by id after a grace */
  private dups = new Map<string, number>();
  private counts = { submitted: 0, duplicates: 0, done: 0, failed: 0 };
  private savedNames = new Set<string>();
  private timedOut = false;
  private lost = false;
  private loss?: { stop(): void };
  private stopped = false;
  private stoppedEarly = false;
  private error: unknown;
  private wake?: () => void;
  private windowWaiter?: () => void;
  private collector?: { stop(): void };
  private progressSub?: { unsubscribe(): void };
  /** the latest reported fraction of each job still running (for onProgress's partial) */
  private partial = new Map<string, number>();
  private timer?: ReturnType<typeof setTimeout>;
  /** the hash of each job published and not yet answered: a result with another job_hash belongs to another job under the same id */
  private hashes = new Map<string, string>();
  private poller?: ReturnType<typeof setInterval>;
  private polling = false;
  private max: number;
  private pub: JetStreamPublisher;
  private publishing?: Promise<void>;

  constructor(private nc: NatsConnection, private js: JetStreamClient, private plan: SubmitPlan, private opts: SubmitOptions, private known: Set<string> | undefined) {
    this.batch = plan.batch;
    this.wait = opts.wait ?? submitDefaults.wait;
    this.window = Math.max(1, opts.window ?? submitDefaults.window);
    this.deadline = Date.now() + (opts.timeoutMs ?? submitDefaults.timeoutMs);
    this.max = nc.info?.max_payload ?? 1024 * 1024;
    this.pub = new JetStreamPublisher(nc);
  }

  async start(): Promise<void> {
    // Subscribe before publishing, from the start of the batch's subjects: results of a re-run
    // (stored the first time) are read back instead of running the jobs again.
    if (this.wait) this.collector = await collect(this.js, this.batch, (r) => this.accept(r));
    if (this.wait && (this.opts.onProgress || this.opts.onJobProgress)) {
      // progress reports of running jobs (ctx.progress): a plain subscription, only the latest matters
      this.progressSub = this.nc.subscribe(`docctl.progress.${this.batch}.>`, {
        callback: (_e, m) => {
          const p = decodeProgress(m.data);
          if (!p || this.stopped) return;
          this.opts.onJobProgress?.(p);
          const f = p.fraction ?? (p.total ? (p.done ?? 0) / p.total : undefined);
          if (f === undefined || !Number.isFinite(f) || this.indexOf(p.id) === undefined) return;
          this.partial.set(p.id, Math.max(0, Math.min(1, f)));
          this.progress();
        },
      });
    }
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.finish();
    }, Math.max(0, this.deadline - Date.now()));
    if (this.opts.lostGraceMs !== undefined) {
      this.loss = watchLoss(this.nc, this.opts.lostGraceMs, () => {
        this.lost = true;
        this.finish();
      });
    }
    // The first job is encoded before start() returns, so a job too big for the server fails here.
    const iter = (Symbol.asyncIterator in this.plan.jobs ? this.plan.jobs[Symbol.asyncIterator]() : this.plan.jobs[Symbol.iterator]()) as Iterator<PlannedJob> | AsyncIterator<PlannedJob>;
    const first = await iter.next();
    if (!first.done) this.encode(first.value, 0);
    this.publishing = this.publishAll(iter, first).catch((err) => {
      this.error = err;
      this.finish();
    });
  }

  summary(): BatchSummary {
    const c = this.counts;
    const size = this.plan.size;
    return {
      batch: this.batch,
      ...c,
      missing: this.wait ? c.submitted - c.done : 0,
      notSubmitted: size === undefined ? 0 : size - c.submitted,
      timedOut: this.timedOut,
      lost: this.lost,
      stoppedEarly: this.stoppedEarly,
    };
  }

  stop(): void {
    this.finish();
  }

  private finish() {
    this.stopped = true;
    this.wake?.();
    this.windowWaiter?.();
  }

  encode(j: PlannedJob, i: number): Uint8Array {
    checkHandler(j.handler, this.known);
    if (j.virtual) return new Uint8Array(0);
    const problem = jobProblem(j, this.batch, i);
    if (problem) throw new InputError(problem);
    const job = toJob(j, this.batch, Date.now());
    if (this.wait) this.hashes.set(j.resultId ?? j.id, job.hash!);
    const b = encodeJob(job);
    if (b.byteLength + 512 > this.max) {
      throw new InputError(
        `job [${i}] ("${j.id}") is ${b.byteLength} bytes encoded, over the server's limit of ${this.max} bytes. ` +
          `Put large inputs in the object store (templates) and send a reference, or raise max_payload on the server.`,
      );
    }
    return b;
  }

  // Publishes in input order with up to `publishWindow` PubAcks outstanding, never more than `window`
  // jobs ahead of the results handed out.
  private async publishAll(iter: Iterator<PlannedJob> | AsyncIterator<PlannedJob>, first: IteratorResult<PlannedJob>) {
    let outstanding = 0;
    let slotFree: (() => void) | undefined;
    let failure: unknown;
    const inflight = new Set<Promise<void>>();
    for (let r = first; !r.done; r = await iter.next()) {
      if (this.stopped) break;
      const j = r.value;
      while (this.wait && this.nextPub - this.nextEmit >= this.window && !this.stopped) await new Promise<void>((w) => (this.windowWaiter = w));
      while (outstanding >= submitDefaults.publishWindow && !failure) await new Promise<void>((w) => (slotFree = w));
      if (failure) throw failure;
      if (this.stopped) break;
      const i = this.nextPub++;
      const data = this.encode(j, i);
      // a chain is waited for by its last step's id; a batch's "then" is not published, only waited for
      const rid = j.resultId ?? j.id;
      if (j.virtual || j.resultId) this.inFlight.set(rid, i);
      const known = this.early.get(rid);
      if (known) {
        // Its result is already stored (a re-run): count it as submitted, do not publish it again.
        this.early.delete(rid);
        this.counts.submitted++;
        this.counts.duplicates++;
        this.opts.onPublished?.(j.id, i, true);
        this.take(known, i);
        continue;
      }
      if (j.virtual) {
        this.counts.submitted++;
        this.opts.onPublished?.(rid, i, false);
        continue;
      }
      if (this.wait && this.plan.kind !== "batch") this.inFlight.set(rid, i);
      outstanding++;
      const p = this.publishOne(j, data, i)
        .catch((err) => void (failure ??= err))
        .finally(() => {
          outstanding--;
          inflight.delete(p);
          slotFree?.();
          slotFree = undefined;
        });
      inflight.add(p);
    }
    await Promise.all(inflight);
    if (failure) throw failure;
    this.published = true;
    this.wake?.();
  }

  private async publishOne(j: PlannedJob, data: Uint8Array, i: number) {
    // A server restart or a cluster leader election makes publishes time out; the job id is the
    // Nats-Msg-Id, so publishing again is safe: JetStream stores it once.
    await retrying(
      async (retry) => {
        // a job with a run_at waits in DOCCTL_DELAYED until a mover puts it on its task subject
        const subject = j.run_at !== undefined || j.delay_ms ? delayedSubject(j.id) : prioritySubject(j.handler, j.priority);
        const ack = await this.pub.publish(subject, data, { msgID: j.id }).catch((err) => {
          const full = storeProblem(err);
          throw full ? new ServerError(`job [${i}] ("${j.id}") was not queued: ${full.replace(/; the job is kept and tried again$/, "")}`, { cause: err }) : err;
        });
        // on a retry, "duplicate" may be our own earlier publish that got stored but not acked
        const dup = ack.duplicate && retry === 0;
        if (ack.duplicate) this.watchDuplicate(j.resultId ?? j.id);
        this.counts.submitted++;
        if (dup) this.counts.duplicates++;
        this.opts.onPublished?.(j.id, i, dup);
      },
      { backoff: natsPublishBackoff, giveUpAt: this.deadline, retryable: (err) => !this.stopped && isTransientNatsError(err) },
    );
  }

  // A duplicate first submitted under another batch has its result on that batch's subject: read it by
  // id if the collector has not brought it within a grace period.
  private watchDuplicate(id: string) {
    if (!this.wait) return;
    this.dups.set(id, Date.now());
    this.poller ??= setInterval(() => void this.pollDuplicates(), 500);
  }

  private async pollDuplicates() {
    if (this.polling) return;
    this.polling = true;
    try {
      const now = Date.now();
      for (const [id, since] of this.dups) {
        if (this.stopped) return;
        if (!this.isWaitingFor(id)) {
          this.dups.delete(id);
          continue;
        }
        if (now - since < submitDefaults.duplicateGraceMs) continue;
        const r = await readResult(this.js, id).catch(() => undefined);
        if (r) {
          this.dups.delete(id);
          this.accept(r);
        }
      }
    } finally {
      this.polling = false;
    }
  }

  private indexOf(id: string): number | undefined {
    const w = this.inFlight.get(id);
    if (w !== undefined) return w;
    if (this.plan.kind === "batch") {
      if (!id.startsWith(this.batch + "-")) return undefined;
      const i = Number(id.slice(this.batch.length + 1));
      return Number.isInteger(i) && i >= 0 ? i : undefined;
    }
    return this.inFlight.get(id);
  }

  private isWaitingFor(id: string): boolean {
    const i = this.indexOf(id);
    return i !== undefined && i < this.nextPub && i >= this.nextEmit && !this.pending.has(i);
  }

  // A result from the collector or the duplicate poller.
  private accept(r: ResultV1) {
    if (this.stopped) return;
    const i = this.indexOf(r.id);
    if (i === undefined || i >= this.nextPub) {
      // not published yet (a re-run: its result was stored before), or not one of ours
      if (i !== undefined || this.plan.kind !== "batch") this.early.set(r.id, r);
      return;
    }
    if (i < this.nextEmit || this.pending.has(i)) return; // a duplicate result: the first one stands
    this.take(r, i);
  }

  private take(r: ResultV1, i: number) {
    const want = this.hashes.get(r.id);
    if (want && r.job_hash && r.job_hash !== want) {
      // The id was used before for another job (another handler or payload): its result is not this
      // job's, and JetStream took our publish as a duplicate, so this job never ran.
      this.error = new InputError(
        `job id "${r.id}" was already used for a different job (handler "${r.handler}", ` +
          `other payload or options, submitted earlier): its result belongs to that job, and this one was not run. ` +
          `Give this job a new id (or leave "id" out to get a fresh one).`,
      );
      this.finish();
      return;
    }
    this.hashes.delete(r.id);
    this.inFlight.delete(r.id);
    const c: CollectedResult = r;
    this.counts.done++;
    if (!r.ok) this.counts.failed++;
    if (r.ok && r.output && this.opts.outDir) {
      // Written as it arrives (in parallel with waiting for the rest); the bytes are then dropped.
      // A document that cannot be fetched must not leave its result uncounted (the wait would never end).
      this.pending.set(
        i,
        saveOutput(this.nc, r, this.opts.outDir, this.savedNames).then(
          (path) => {
            c.saved_to = path;
            if (c.output?.data) c.output = { ...c.output, data: undefined };
            return c;
          },
          (err) => ((c.save_error = `the job succeeded but its document could not be saved: ${(err as Error).message}`), c),
        ),
      );
    } else this.pending.set(i, c);
    this.partial.delete(r.id);
    this.opts.onResult?.(c, i);
    this.progress();
    if (!r.ok && this.opts.failFast) {
      this.stoppedEarly = true;
      this.failFastAt = i;
    }
    if (i === this.nextEmit || this.stoppedEarly) this.wake?.();
  }

  private failFastAt = -1;

  private progress() {
    let partial = 0;
    for (const f of this.partial.values()) partial += f;
    this.opts.onProgress?.({ done: this.counts.done, failed: this.counts.failed, total: this.plan.size ?? this.nextPub, partial });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<OrderedResult> {
    try {
      if (!this.wait) {
        // fire and forget: nothing to hand out, only wait for every publish
        while (!this.published && !this.stopped) await new Promise<void>((w) => (this.wake = w));
        if (this.error) throw this.error;
        return;
      }
      for (;;) {
        if (this.error) throw this.error;
        const head = this.pending.get(this.nextEmit);
        if (head !== undefined) {
          const result = await head;
          this.pending.delete(this.nextEmit);
          const index = this.nextEmit++;
          this.windowWaiter?.();
          yield { index, result };
          continue;
        }
        if (this.stoppedEarly) {
          // failFast: hand out the failed result (and the ones before it that are in), then stop
          const rest = [...this.pending.keys()].filter((k) => k <= this.failFastAt).sort((a, b) => a - b);
          for (const k of rest) yield { index: k, result: await this.pending.get(k)! };
          return;
        }
        if (this.lost) {
          // NATS gone for good: hand out what came in (after any gap too), in input order, then stop
          for (const k of [...this.pending.keys()].sort((a, b) => a - b)) yield { index: k, result: await this.pending.get(k)! };
          return;
        }
        if (this.stopped || (this.published && this.nextEmit >= this.nextPub)) return;
        await new Promise<void>((w) => (this.wake = w));
      }
    } finally {
      this.stopped = true;
      this.windowWaiter?.();
      clearTimeout(this.timer);
      this.loss?.stop();
      clearInterval(this.poller);
      this.collector?.stop();
      this.progressSub?.unsubscribe();
      // the PubAck inbox goes once the publishing has stopped (at once, or after the publishes still out)
      void this.publishing?.finally(() => this.pub.close());
    }
  }
}

/** Calls `onLost` once the connection has been down for `graceMs` without coming back. */
function watchLoss(nc: NatsConnection, graceMs: number, onLost: () => void): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  void (async () => {
    for await (const s of nc.status()) {
      if (stopped) break;
      if (s.type === "disconnect" && !timer) timer = setTimeout(onLost, graceMs);
      else if (s.type === "reconnect") {
        clearTimeout(timer);
        timer = undefined;
      }
    }
  })().catch(() => {});
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

// What would make a job unreadable for every worker, said before anything is published: ids derived
// from a long batch id past the token limit, payloads nested past the wire's depth or holding a
// "__proto__" key (msgpack decoders refuse it), a time limit no timer can wait.
function jobProblem(j: PlannedJob, batch: string, i: number): string | undefined {
  const where = `job [${i}]${j.id ? ` ("${j.id.length > 60 ? `${j.id.slice(0, 60)}…` : j.id}")` : ""}`;
  const id = tokenProblem(j.id);
  if (id) return `${where}: its id ${id}${j.id.startsWith(`${batch}-`) && batch.length > 100 ? ` (ids of a batch are "<batch>-<n>": use a batch id of at most ${128 - 1 - String(i).length - 4} characters)` : ""}`;
  const b = tokenProblem(batch);
  if (b) return `the batch id ${b}`;
  const p = payloadProblem(j.payload, `${where} payload`);
  if (p) return p;
  if (j.timeout_ms !== undefined && j.timeout_ms > MAX_TIMEOUT_MS) {
    return `${where}: "timeout_ms" is ${j.timeout_ms}, over the longest time limit ${MAX_TIMEOUT_MS} ms (24.8 days)`;
  }
  return undefined;
}

function toJob(j: PlannedJob, batch: string, now: number): JobV1 {
  return {
    hash: jobHash({ handler: j.handler, payload: j.payload, attempts: j.attempts, timeout_ms: j.timeout_ms }),
    v: 1,
    id: j.id,
    batch,
    handler: j.handler,
    payload: j.payload,
    submitted_at: now,
    attempts: j.attempts,
    timeout_ms: j.timeout_ms,
    priority: j.priority,
    run_at: j.run_at ?? (j.delay_ms ? now + j.delay_ms : undefined),
    next: j.next,
    then: j.then,
  };
}

async function collect(js: JetStreamClient, batch: string, accept: (r: ResultV1) => void) {
  const consumer = await js.consumers.get(STREAM_RESULTS, { filter_subjects: `docctl.results.${batch}.>`, deliver_policy: DeliverPolicy.All });
  // Short pulls: after a reconnect the client checks the consumer and, when JetStream is not answering
  // yet (a server just restarted), waits `expires` before checking again; with the default (30 s) a
  // server restart stalled the results for half a minute. 2 s pulls cost one request per 2 s idle.
  const messages = await consumer.consume({ max_messages: 256, expires: 2_000 });
  const loop = (async () => {
    for await (const m of messages) {
      let r: ResultV1;
      try {
        r = decodeResult(m.data);
      } catch {
        continue; /* a foreign message on a results subject: not ours to read */
      }
      accept(r);
    }
  })();
  return {
    stop() {
      void messages.close().catch(() => {});
      void loop;
    },
  };
}

/** The stored result of job `id`, whatever its batch; undefined when there is none (yet). */
export async function readResult(js: JetStreamClient, id: string): Promise<ResultV1 | undefined> {
  const consumer = await js.consumers.get(STREAM_RESULTS, { filter_subjects: `docctl.results.*.${id}`, deliver_policy: DeliverPolicy.LastPerSubject });
  const info = await consumer.info(true);
  if (info.num_pending === 0) {
    await consumer.delete().catch(() => {});
    return undefined;
  }
  const m = await consumer.next({ expires: 2000 });
  await consumer.delete().catch(() => {});
  return m ? decodeResult(m.data) : undefined;
}

/** Fetch the document a result names and write it under `dir`; returns the path. */
export async function saveOutput(nc: NatsConnection, r: ResultV1, dir: string, taken = new Set<string>()): Promise<string> {
  const out = r.output!;
  let bytes = out.data;
  if (!bytes) {
    if (!out.bucket || !out.name) throw new Error(`the result of job ${r.id} names a document but neither carries it nor says where it is`);
    const os = await new Objm(nc).open(out.bucket);
    bytes = (await os.getBlob(out.name)) ?? undefined;
    if (!bytes) throw new Error(`the document ${out.name} of job ${r.id} is no longer in ${out.bucket} (expired?)`);
  }
  await mkdir(dir, { recursive: true });
  // Only a base name: a handler cannot make the submitter write outside the directory.
  let name = basename(out.filename ?? `${r.id}.bin`) || `${r.id}.bin`;
  // Two jobs of one run naming the same file: the later one is prefixed with its id, not overwritten.
  if (taken.has(name)) name = `${r.id}-${name}`;
  taken.add(name);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

