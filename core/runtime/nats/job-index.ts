// Writes the job index (DOCCTL_JOBS): each state change of a job publishes its new entry, then purges
// the id's older entries (a purge with a subject filter that keeps the newest message). Retention is
// per entry (Nats-TTL); a scheduled entry is a server message schedule that becomes the queued entry
// when it is due, so the index follows a delayed job with no docctl process running.
import { jetstreamManager, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { nanos } from "@nats-io/transport-node";
import { STREAM_JOBS, encodeJobEntry, jobEntryFilter, jobEntrySubject, type IndexedState, type JobEntryV1 } from "../protocol/job-entry.ts";
import type { JobV1, ResultV1 } from "../protocol/codec.ts";
import { ErrorCodes } from "../protocol/errors.ts";
import { STREAM_DEAD, STREAM_RESULTS } from "../protocol/subjects.ts";
import { JetStreamPublisher } from "./publisher.ts";
import { ALL_JOBS } from "../protocol/subjects.ts";

/** How long entries of each kind are kept (ms); undefined: as long as the job waits (the stream's max age). */
export interface JobIndexRetention {
  /** done entries (default: the results' retention, 24 h) */
  keepResultMs: number;
  /** failed and cancelled entries (default: the results' retention, 24 h) */
  keepFailedMs: number;
  /** dead entries (default: the dead letters' retention, 7 d) */
  keepDeadMs: number;
}

/** The DOCCTL_JOBS stream's config. Waiting entries (scheduled, queued, retrying) live at most `maxAgeMs`. */
export function jobsStreamConfig(o: { replicas: number; duplicateWindowMs: number; maxAgeMs: number }): Partial<StreamConfig> {
  return {
    name: STREAM_JOBS,
    subjects: [ALL_JOBS],
    storage: "file" as StreamConfig["storage"],
    retention: "limits" as StreamConfig["retention"],
    num_replicas: o.replicas,
    max_age: nanos(o.maxAgeMs),
    max_msgs_per_subject: 1,
    duplicate_window: nanos(o.duplicateWindowMs),
    allow_msg_ttl: true,
    allow_msg_schedules: true,
    allow_direct: true,
  } as Partial<StreamConfig>;
}

/** The Nats-TTL header value of `ms` (whole seconds, at least 1). */
export const ttlHeader = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`;

/** The index retention that follows the streams' limits (results and dead letters). */
export const retentionOf = (o: { resultsMaxAgeMs: number; deadMaxAgeMs: number }): JobIndexRetention => ({
  keepResultMs: o.resultsMaxAgeMs,
  keepFailedMs: o.resultsMaxAgeMs,
  keepDeadMs: o.deadMaxAgeMs,
});

/** The entry of `job` in `state` (a new job, a retry, a step published by a workflow). */
export function entryOfJob(job: JobV1, state: IndexedState, extra: Partial<JobEntryV1> = {}): JobEntryV1 {
  const e: JobEntryV1 = { v: 1, id: job.id, batch: job.batch, handler: job.handler, state, at: Date.now(), submitted_at: job.submitted_at };
  if (job.priority && job.priority !== "normal") e.priority = job.priority;
  if (job.run_at !== undefined) e.run_at = job.run_at;
  if (job.attempts !== undefined) e.max_attempts = job.attempts;
  if (job.next?.length) {
    e.next = job.next.map((s) => {
      const n: NonNullable<JobEntryV1["next"]>[number] = { id: s.id, handler: s.handler };
      if (s.batch !== undefined) n.batch = s.batch === "each" ? "each" : s.batch.length;
      if (s.delay_ms) n.delay_ms = s.delay_ms;
      return n;
    });
  }
  if (job.then) e.then = { id: job.then.id, handler: job.then.handler };
  return { ...e, ...extra };
}

/** The entry of a final result: done, cancelled, failed, or dead when a dead letter was written. */
export function entryOfResult(r: ResultV1, o: { dead?: boolean; job?: JobV1 } = {}): JobEntryV1 {
  const state: IndexedState = r.ok ? "done" : r.error?.code === ErrorCodes.CANCELLED ? "cancelled" : o.dead ? "dead" : "failed";
  const base = o.job ? entryOfJob(o.job, state) : { v: 1 as const, id: r.id, batch: r.batch, handler: r.handler, state, at: Date.now() };
  const e: JobEntryV1 = { ...base, at: r.finished_at, attempt: r.attempts, worker: r.worker };
  if (r.error) e.error = r.error;
  return e;
}

/** Writes index entries for one process (a worker proc, a submitter). */
export class JobIndexWriter {
  private pub: JetStreamPublisher;
  private jsm?: Promise<JetStreamManager>;
  private retention: JobIndexRetention;

  /** `retention` undefined: the defaults, brought to the results' and dead letters' stream limits on first write. */
  constructor(private nc: NatsConnection, retention?: JobIndexRetention) {
    this.pub = new JetStreamPublisher(nc);
    this.retention = retention ?? { keepResultMs: 24 * 3_600_000, keepFailedMs: 24 * 3_600_000, keepDeadMs: 7 * 24 * 3_600_000 };
    this.learn = !retention;
  }

  private learn: boolean;

  private learned?: Promise<void>;
  // A CLI command (cancel, dead retry) was not told the fleet's retention: the streams say it.
  private async learnRetention(): Promise<void> {
    try {
      this.jsm ??= jetstreamManager(this.nc);
      const jsm = await this.jsm;
      const [r, d] = await Promise.all([jsm.streams.info(STREAM_RESULTS), jsm.streams.info(STREAM_DEAD)]);
      const ms = (ns: number) => (ns > 0 ? Math.floor(ns / 1e6) : undefined);
      this.retention = { keepResultMs: ms(r.config.max_age) ?? this.retention.keepResultMs, keepFailedMs: ms(r.config.max_age) ?? this.retention.keepFailedMs, keepDeadMs: ms(d.config.max_age) ?? this.retention.keepDeadMs };
    } catch {
      /* the streams cannot be read now (NATS away, permissions): the default retention stands */
    }
  }

  /** The TTL of an entry of `state` (undefined: kept while waiting), per-job `keep` overriding the default. */
  ttlOf(state: JobEntryV1["state"], keep?: { keep_result_ms?: number; keep_failed_ms?: number }): number | undefined {
    if (state === "done") return keep?.keep_result_ms ?? this.retention.keepResultMs;
    if (state === "failed" || state === "cancelled") return keep?.keep_failed_ms ?? this.retention.keepFailedMs;
    if (state === "dead") return Math.max(keep?.keep_failed_ms ?? 0, this.retention.keepDeadMs);
    return undefined;
  }

  /**
   * A new job's entry (queued, or scheduled with `run_at`): written only when the id has none (a
   * JetStreamApiError "wrong last sequence" otherwise, which callers ignore). `msgID` makes a
   * re-submit inside the duplicate window a no-op here too.
   */
  async added(e: JobEntryV1): Promise<void> {
    // Only while the id has no entry: its worker may have finished it (and written its final entry)
    // before this publish arrives, and a late "queued" must not stand beside "done".
    const headers: Record<string, string> = { "Nats-Expected-Last-Subject-Sequence": "0", "Nats-Expected-Last-Subject-Sequence-Subject": jobEntryFilter({ handler: e.handler, id: e.id }) };
    if (e.state === "scheduled" && e.run_at !== undefined) Object.assign(headers, scheduleHeaders(e));
    await this.pub.publish(jobEntrySubject(e), encodeJobEntry(e), { msgID: `${e.id}.${e.state}`, headers });
  }

  /**
   * The job's entry moves to `e.state`: publish it, then drop the id's older entries. `from`: the state
   * of the entry it replaces when the caller knows it (a first delivery of a job that was not delayed:
   * queued); that one subject is purged, and only when it held nothing (the submitter wrote no entry,
   * or another state was there after all) are all the id's older entries looked for. A purge with a
   * plain subject costs the server a quarter less than one with wildcards and `keep` (docs/benchmarks.md).
   */
  async moved(e: JobEntryV1, keep?: { keep_result_ms?: number; keep_failed_ms?: number }, from?: IndexedState): Promise<void> {
    if (this.learn) this.learned ??= this.learnRetention();
    await this.learned;
    const headers: Record<string, string> = {};
    const ttl = this.ttlOf(e.state, keep);
    if (ttl !== undefined) headers["Nats-TTL"] = ttlHeader(ttl);
    if (e.state === "scheduled" && e.run_at !== undefined) Object.assign(headers, scheduleHeaders(e));
    await this.pub.publish(jobEntrySubject(e), encodeJobEntry(e), { headers });
    if (from !== undefined && from !== e.state && (await this.purge({ filter: jobEntrySubject({ ...e, state: from }) })) > 0) return;
    await this.dropOlder(e.handler, e.id);
  }

  /**
   * Remove the job's entries but the newest (the one just written). The stream purge API request goes
   * through the publisher's shared inbox (its reply is JSON like a PubAck, an error a JetStreamApiError):
   * jsm.streams.purge() is a nats.js request per call, which was a large share of a worker's CPU per job.
   */
  async dropOlder(handler: string, id: string): Promise<void> {
    await this.purge({ filter: jobEntryFilter({ handler, id }), keep: 1 });
  }

  // $JS.API.STREAM.PURGE through the shared inbox; its reply `{success, purged}` says how many went.
  private async purge(req: { filter: string; keep?: number }): Promise<number> {
    const r = (await this.pub.publish(`$JS.API.STREAM.PURGE.${STREAM_JOBS}`, this.enc.encode(JSON.stringify(req)))) as unknown as { purged?: number };
    return typeof r.purged === "number" ? r.purged : 0;
  }

  private enc = new TextEncoder();

  close(): void {
    this.pub.close();
  }
}

// A scheduled entry is an "@at" message schedule whose target is the job's queued subject: when it is
// due the server publishes the same body there and removes the schedule (nats-server 2.12+).
function scheduleHeaders(e: JobEntryV1): Record<string, string> {
  return { "Nats-Schedule": `@at ${new Date(e.run_at!).toISOString()}`, "Nats-Schedule-Target": jobEntrySubject({ ...e, state: "queued" }) };
}

/** Remove every entry of a job (its dead letter deleted, its result expired early, a purge). */
export async function dropJobEntries(jsm: JetStreamManager, handler: string, id: string): Promise<number> {
  const r = await jsm.streams.purge(STREAM_JOBS, { filter: jobEntryFilter({ handler, id }) });
  return r.purged;
}
