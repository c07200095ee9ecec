// A batch in flight: publishes its jobs (publish window, reorder window; chunk-publisher.ts does the
// publishing) and hands out the results in input order as they are collected, with progress,
// duplicates, documents saved and the run's end.
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeProgress, type ResultV1 } from "../protocol/codec.ts";
import { InputError } from "../protocol/errors.ts";
import { batchProgress } from "../protocol/subjects.ts";
import { ATOMIC_BATCH_MAX } from "../nats/publisher.ts";

import type { PlannedJob, SubmitPlan } from "./jobfile.ts";
import { submitDefaults, type BatchRun, type BatchSummary, type CollectedResult, type OrderedResult, type SubmitRunOptions } from "./submit-options.ts";
import { checkHandler } from "./submit-preflight.ts";
import { encodePlannedJob } from "./job-encoding.ts";
import { entryOfJob } from "../nats/job-index.ts";
import type { JobEntryV1 } from "../protocol/job-entry.ts";
import { PublishWindow } from "./publish-window.ts";
import { ReorderBuffer } from "./reorder-buffer.ts";
import { collect, readResult } from "./result-collector.ts";
import { saveOutput } from "./output-file.ts";
import { watchLoss } from "./connection-loss.ts";
import { ChunkPublisher, type Chunked } from "./chunk-publisher.ts";

export class Run implements BatchRun {
  readonly batch: string;
  private wait: boolean;
  private deadline: number;
  private max: number;
  /** publishes chunks and single jobs, and writes their index entries */
  private pub: ChunkPublisher;
  /** each job's queued or scheduled index entry, from its encoding until it is stored */
  private entries = new Map<number, JobEntryV1>();
  /** results in (or being saved), not yet handed out, in input order: at most `window` jobs out */
  private order: ReorderBuffer<CollectedResult | Promise<CollectedResult>>;
  private published = false;
  /** jobs published whose result has not come, by id (ids of a batch plan map to their index directly) */
  private inFlight = new Map<string, number>();
  /** results that came before their job was published (a re-run reading stored results) */
  private early = new Map<string, ResultV1>();
  /** published as duplicates: their result may be on another batch's subject, read by id after a grace */
  private dups = new Map<string, number>();
  private counts = { submitted: 0, duplicates: 0, done: 0, failed: 0 };
  private savedNames = new Set<string>();
  /** the hash of each job published and not yet answered: a result with another job_hash belongs to another job under the same id */
  private hashes = new Map<string, string>();
  /** the latest reported fraction of each job still running (for onProgress's partial) */
  private partial = new Map<string, number>();
  private timedOut = false;
  private lost = false;
  private stopped = false;
  private stoppedEarly = false;
  private failFastAt = -1;
  private error: unknown;
  private wake?: () => void;
  private windowWaiter?: () => void;
  private timer?: ReturnType<typeof setTimeout>;
  private poller?: ReturnType<typeof setInterval>;
  private polling = false;
  private loss?: { stop(): void };
  private collector?: { stop(): void };
  private progressSub?: { unsubscribe(): void };
  private publishing?: Promise<void>;

  constructor(private nc: NatsConnection, private js: JetStreamClient, private plan: SubmitPlan, private opts: SubmitRunOptions, private known: Set<string> | undefined) {
    this.batch = plan.batch;
    this.wait = opts.wait ?? submitDefaults.wait;
    this.order = new ReorderBuffer(Math.max(1, opts.window ?? submitDefaults.window));
    this.deadline = Date.now() + (opts.timeoutMs ?? submitDefaults.timeoutMs);
    this.max = nc.info?.max_payload ?? 1024 * 1024;
    this.pub = new ChunkPublisher(nc, {
      deadline: this.deadline,
      stopped: () => this.stopped,
      takeEntry: (i) => {
        const entry = this.entries.get(i);
        this.entries.delete(i);
        return entry;
      },
      stored: (j, i, counted, duplicate) => {
        if (duplicate) this.watchDuplicate(j.resultId ?? j.id);
        this.counts.submitted++;
        if (counted) this.counts.duplicates++;
        this.opts.onPublished?.(j.id, i, counted);
      },
    });
  }

  async start(): Promise<void> {
    // Subscribe before publishing, from the start of the batch's subjects: results of a re-run
    // (stored the first time) are read back instead of running the jobs again.
    if (this.wait) this.collector = await collect(this.js, this.batch, (r) => this.accept(r));
    if (this.wait && (this.opts.onProgress || this.opts.onJobProgress)) {
      // progress reports of running jobs (ctx.progress): a plain subscription, only the latest matters
      this.progressSub = this.nc.subscribe(batchProgress(this.batch), {
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

  /** The bytes of job `j` (input index `i`); throws an InputError for a job no worker could read. */
  encode(j: PlannedJob, i: number): Uint8Array {
    checkHandler(j.handler, this.known);
    if (j.virtual) return new Uint8Array(0);
    const { bytes, hash, job } = encodePlannedJob(j, this.batch, i, this.max, undefined, this.plan.source);
    if (this.wait) this.hashes.set(j.resultId ?? j.id, hash);
    this.entries.set(i, entryOfJob(job, job.run_at !== undefined ? "scheduled" : "queued"));
    return bytes;
  }

  // Publishes in input order, in atomic batches of up to ATOMIC_BATCH_MAX jobs (all or nothing: a
  // submit killed half-way leaves whole chunks, never part of one), with up to `publishWindow` of them
  // outstanding, never more than `window` jobs ahead of the results handed out.
  private async publishAll(iter: Iterator<PlannedJob> | AsyncIterator<PlannedJob>, first: IteratorResult<PlannedJob>) {
    const pubs = new PublishWindow(submitDefaults.publishWindow);
    const chunkMax = Math.max(1, Math.min(ATOMIC_BATCH_MAX, this.opts.window ?? submitDefaults.window));
    let chunk: Chunked[] = [];
    const flush = () => {
      if (!chunk.length) return;
      pubs.add(this.pub.publishChunk(chunk));
      chunk = [];
    };
    // A source that is slow to give its next job (a library stream) does not hold back the jobs it gave:
    // the chunk goes when the next one is not there within a few milliseconds.
    const next = async (): Promise<IteratorResult<PlannedJob>> => {
      const p = iter.next();
      if (!chunk.length || !(p instanceof Promise)) return p;
      let t: ReturnType<typeof setTimeout> | undefined;
      const slow = new Promise<"slow">((r) => (t = setTimeout(() => r("slow"), 5)));
      const won = await Promise.race([p, slow]);
      clearTimeout(t);
      if (won === "slow") {
        flush();
        return p;
      }
      return won;
    };
    for (let r = first; !r.done; r = await next()) {
      if (this.stopped) break;
      const j = r.value;
      if (this.wait && this.order.full) flush(); // the results awaited must be of published jobs
      while (this.wait && this.order.full && !this.stopped) await new Promise<void>((w) => (this.windowWaiter = w));
      await pubs.free();
      if (this.stopped) break;
      const i = this.order.assign();
      const data = this.encode(j, i);
      // a chain is waited for by its last step's id; a batch's "then" is not published, only waited for
      const rid = j.resultId ?? j.id;
      if (j.virtual || j.resultId) this.inFlight.set(rid, i);
      const known = this.early.get(rid);
      if (known) {
        // Its result is already stored (a re-run): count it as submitted, do not publish it again.
        this.early.delete(rid);
        this.entries.delete(i);
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
      chunk.push({ j, data, i });
      if (chunk.length >= chunkMax) flush();
    }
    // stopped early (a signal, an error): what was not committed is not published, never half a chunk
    if (!this.stopped) flush();
    await pubs.settled();
    this.published = true;
    this.wake?.();
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
        // not readable now: the poller asks again at its next turn
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
    return i !== undefined && this.order.waitingFor(i);
  }

  // A result from the collector or the duplicate poller.
  private accept(r: ResultV1) {
    if (this.stopped) return;
    const i = this.indexOf(r.id);
    if (i === undefined || i >= this.order.size) {
      // not published yet (a re-run: its result was stored before), or not one of ours
      if (i !== undefined || this.plan.kind !== "batch") this.early.set(r.id, r);
      return;
    }
    if (this.order.settled(i)) return; // a duplicate result: the first one stands
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
      this.order.put(
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
    } else this.order.put(i, c);
    this.partial.delete(r.id);
    this.opts.onResult?.(c, i);
    this.progress();
    if (!r.ok && this.opts.failFast) {
      this.stoppedEarly = true;
      this.failFastAt = i;
    }
    if (i === this.order.next || this.stoppedEarly) this.wake?.();
  }

  private progress() {
    let partial = 0;
    for (const f of this.partial.values()) partial += f;
    this.opts.onProgress?.({ done: this.counts.done, failed: this.counts.failed, total: this.plan.size ?? this.order.size, partial });
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
        const head = this.order.head();
        if (head !== undefined) {
          const result = await head;
          const { index } = this.order.shift();
          this.windowWaiter?.();
          yield { index, result };
          continue;
        }
        if (this.stoppedEarly) {
          // failFast: hand out the failed result (and the ones before it that are in), then stop
          for (const { index, value } of this.order.rest(this.failFastAt)) yield { index, result: await value };
          return;
        }
        if (this.lost) {
          // NATS gone for good: hand out what came in (after any gap too), in input order, then stop
          for (const { index, value } of this.order.rest()) yield { index, result: await value };
          return;
        }
        if (this.stopped || (this.published && this.order.drained)) return;
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
