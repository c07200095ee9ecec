// What a worker writes about a job besides its result: the job index entry of each state change
// (retrying with attempt, error and next time; the final state), each failed attempt's history (kept
// in the entry and handed to the dead letter), and the job's ctx.log lines. All best effort: the
// index is never a reason to fail or redo a job.
import { isNoMessage } from "../nats/errors.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import type { JobV1, ResultV1 } from "../protocol/codec.ts";
import type { WireError } from "../protocol/errors.ts";
import { MAX_HISTORY, STREAM_JOBS, decodeJobEntry, jobEntryFilter, type AttemptV1 } from "../protocol/job-entry.ts";
import type { Logger } from "../protocol/logger.ts";
import { JobIndexWriter, entryOfJob, entryOfResult, type JobIndexRetention } from "../nats/job-index.ts";
import { JobLogStore } from "./job-logs.ts";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";

export class JobRecorder {
  readonly index: JobIndexWriter;
  private logs: JobLogStore;
  private jsm?: Promise<JetStreamManager>;

  constructor(private nc: NatsConnection, private worker: string, retention?: JobIndexRetention, private onError?: (what: string, err: unknown) => void) {
    this.index = new JobIndexWriter(nc, retention);
    this.logs = new JobLogStore(nc, worker);
  }

  /** ctx.log of one attempt: the worker's log plus the job's stored lines. */
  jobLog(inner: Logger, job: Pick<JobV1, "id" | "batch">, attempt: number): Logger {
    return this.logs.wrap(inner, job, attempt);
  }

  /** The failed attempts so far (from the job's index entry). */
  async history(job: Pick<JobV1, "id" | "handler">): Promise<AttemptV1[]> {
    try {
      this.jsm ??= jetstreamManager(this.nc);
      const m = await (await this.jsm).streams.getMessage(STREAM_JOBS, { last_by_subj: jobEntryFilter({ handler: job.handler, id: job.id }) });
      return (m && decodeJobEntry(m.data, m.subject)?.history) || [];
    } catch (err) {
      // no entry yet (10037) is the usual case; anything else is said, and the history starts here
      if (!isNoMessage(err)) this.onError?.(`the attempt history of ${job.id} (read)`, err);
      return [];
    }
  }

  /** Attempt `attempt` failed with a retryable error; the next one is due in `delayMs`. Returns the history with it. */
  async retrying(job: JobV1, o: { attempt: number; maxAttempts: number; error: WireError; delayMs: number; stack?: string }): Promise<void> {
    try {
      const history = await this.withAttempt(job, o.attempt, o.error, o.stack);
      await this.index.moved(entryOfJob(job, "retrying", { attempt: o.attempt, max_attempts: o.maxAttempts, error: o.error, next_at: Date.now() + o.delayMs, worker: this.worker, history }));
    } catch (err) {
      this.onError?.("the retrying state", err);
    }
  }

  /** The history to put in the dead letter of a job whose attempt `attempt` failed for good. */
  async withAttempt(job: JobV1, attempt: number, error: WireError, stack?: string): Promise<AttemptV1[]> {
    const a: AttemptV1 = { attempt, at: Date.now(), worker: this.worker, error };
    if (stack) a.stack = stack.slice(0, 2_000);
    return [...(await this.history(job)).filter((h) => h.attempt !== attempt), a].slice(-MAX_HISTORY);
  }

  /**
   * The job's final result is stored: its entry moves to done, failed, cancelled or dead. `delivery`:
   * JetStream's delivery count; a first delivery of a job that was not delayed replaces its queued entry.
   */
  async finished(job: JobV1 | undefined, r: ResultV1, o: { dead?: boolean; history?: AttemptV1[]; delivery?: number } = {}): Promise<void> {
    try {
      const e = entryOfResult(r, { dead: o.dead, job });
      if (o.history?.length) e.history = o.history;
      const from = o.delivery === 1 && job && job.run_at === undefined ? "queued" : undefined;
      await this.index.moved(e, job ? { keep_result_ms: job.keep_result_ms, keep_failed_ms: job.keep_failed_ms } : undefined, from);
    } catch (err) {
      this.onError?.("the final state", err);
    }
  }

  private pending = new Set<Promise<void>>();

  /**
   * finished() without holding the job: its ack goes on meanwhile (the index is best effort, and the
   * entry was already written after the result, so a reader sees the same). drain() waits (settled()).
   */
  finishedSoon(job: JobV1 | undefined, r: ResultV1, o: { dead?: boolean; history?: AttemptV1[]; delivery?: number } = {}): void {
    const p: Promise<void> = this.finished(job, r, o).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once every finishedSoon() write has ended (written or its failure reported). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  close(): void {
    this.index.close();
    this.logs.close();
  }
}
