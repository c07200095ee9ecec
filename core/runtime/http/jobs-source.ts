// Where the dashboard's job browser gets its jobs: one small interface (list by state, handler,
// batch and id, with counts and paging; one job in detail), so the reader behind it can be swapped for
// the job index (DOCCTL_JOBS) without touching the page. This reader builds a snapshot from the streams
// that hold jobs today: results (done, failed, cancelled), dead letters, delayed jobs, the task queue
// and the workers' presence (running), read in bulk with ordered consumers and rebuilt only when a
// stream changed.
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeDead, decodeJob, decodeResult, type DeadLetterV1, type JobV1, type ResultV1 } from "../protocol/codec.ts";
import { ErrorCodes } from "../protocol/errors.ts";
import { STREAM_DEAD, STREAM_RESULTS, STREAM_TASKS } from "../protocol/subjects.ts";
import { readDelayed } from "../nats/delays.ts";
import { isNotFound } from "../nats/errors.ts";
import { AttemptNotes } from "../nats/attempt-notes.ts";
import { countJobs, findJobEntry, queryJobs } from "../client/job-index.ts";
import { STREAM_JOBS } from "../protocol/job-entry.ts";
import { jobLogs } from "../client/job-logs.ts";
import { jobInfo, listJobs, scanStream, JOB_STATES, type JobInfo, type JobState } from "../client/job-state.ts";
import { ALL_DEAD, ALL_RESULTS, ALL_TASKS, deadLetters, handlerTasks, taskSubject } from "../protocol/subjects.ts";

/** A row of the job browser. */
export interface JobRow {
  id: string;
  state: JobState;
  handler?: string;
  batch?: string;
  /** when it reached its state (finished, failed, due), ms since epoch */
  at?: number;
  attempts?: number;
  worker?: string;
  error?: { code: string; message: string };
}

export interface JobQuery {
  state?: JobState;
  handler?: string;
  batch?: string;
  /** part of a job id */
  q?: string;
  /** opaque: what the previous page returned as `next` */
  cursor?: string;
  limit?: number;
}

export interface JobPage {
  jobs: JobRow[];
  /** jobs that match the query over all pages */
  total: number;
  /** jobs per state that match handler, batch and id (not the state) */
  counts: Record<JobState, number>;
  next?: string;
  /** the results stream held more than the reader reads: the oldest are not listed */
  truncated?: boolean;
}

/** One attempt of a job as the job page shows it. */
export interface AttemptRow {
  n: number;
  outcome: string;
  error?: { code: string; message: string; stack?: string };
  worker?: string;
  at?: number;
}

/** Everything the job page shows. */
export interface JobDetail {
  info: JobInfo;
  /** the payload, as JSON text, cut at PAYLOAD_SHOWN bytes and with secret-looking fields masked */
  payload?: { text: string; bytes: number; cut: boolean };
  /** why there is no payload to show */
  payloadNote?: string;
  result?: { text: string; cut: boolean };
  attempts: AttemptRow[];
  logs: { at: number; level: string; msg: string }[];
  logsNote?: string;
}

export interface JobSource {
  list(q: JobQuery): Promise<JobPage>;
  get(id: string): Promise<JobDetail | undefined>;
}

/** Results read at most (newest kept): a day of results can be millions. */
export const RESULTS_READ = 200_000;
/** Bytes of payload and result shown. */
export const PAYLOAD_SHOWN = 16 * 1024;

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|auth|credential|private[-_]?key|cookie|session/i;

/** A value as JSON text for people: secret-looking keys masked, cut at `max` bytes (pure). */
export function showValue(v: unknown, max = PAYLOAD_SHOWN): { text: string; bytes: number; cut: boolean } {
  const masked = JSON.stringify(v, (k, x) => (k && SECRET_KEY.test(k) && x !== null && typeof x !== "object" ? "***" : x), 2) ?? "null";
  const bytes = Buffer.byteLength(masked);
  if (bytes <= max) return { text: masked, bytes, cut: false };
  return { text: Buffer.from(masked).subarray(0, max).toString("utf8").replace(/\uFFFD+$/, "") + "\n… (cut)", bytes, cut: true };
}

/** Filter, count and page a snapshot (pure). Rows are newest first. */
export function pageJobs(rows: JobRow[], q: JobQuery): JobPage {
  const limit = Math.min(Math.max(1, q.limit ?? 50), 500);
  const needle = q.q?.trim().toLowerCase();
  const base = rows.filter((r) => (!q.handler || r.handler === q.handler) && (!q.batch || r.batch === q.batch) && (!needle || r.id.toLowerCase().includes(needle)));
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const r of base) counts[r.state]++;
  const matching = q.state ? base.filter((r) => r.state === q.state) : base;
  const offset = Math.max(0, Number(q.cursor) || 0);
  const jobs = matching.slice(offset, offset + limit);
  return { jobs, total: matching.length, counts, ...(offset + limit < matching.length ? { next: String(offset + limit) } : {}) };
}

/** The reader over today's streams. */
export class StreamJobSource implements JobSource {
  #snap: { key: string; rows: JobRow[]; truncated: boolean; at: number } | undefined;
  #building: Promise<void> | undefined;

  constructor(private readonly nc: () => NatsConnection | undefined) {}

  async list(q: JobQuery): Promise<JobPage> {
    const nc = this.nc();
    if (!nc) return pageJobs([], q);
    await this.#refresh(nc);
    const page = pageJobs(this.#snap?.rows ?? [], q);
    return this.#snap?.truncated ? { ...page, truncated: true } : page;
  }

  async get(id: string): Promise<JobDetail | undefined> {
    const nc = this.nc();
    if (!nc) return undefined;
    const info = await jobInfo(nc, id);
    if (!info) return undefined;
    const jsm = await jetstreamManager(nc);
    const out: JobDetail = { info, attempts: [], logs: [] };
    // the lines its handler wrote with ctx.log (DOCCTL_LOGS), each with its attempt
    const lines = await jobLogs(nc, id, info.batch).catch(() => []);
    out.logs = lines.map((l) => ({ at: l.at, level: l.level, msg: `[attempt ${l.attempt}, ${l.worker}] ${l.msg}` }));
    if (!lines.length) out.logsNote = "no log lines (a handler writes them with ctx.log; they are kept as long as results)";
    // the payload: the job itself while it waits, its dead letter once it failed for good
    let job: JobV1 | undefined;
    let dead: DeadLetterV1 | undefined;
    if (info.state === "scheduled") {
      // fired or unreadable now: the page shows what the index knows
      job = (await readDelayed(jsm, id).catch(() => undefined))?.job;
    } else if (info.state === "queued") {
      job = await queuedJob(jsm, id, info.handler);
    } else if (info.state === "dead" || info.state === "failed") {
      dead = await deadLetterOf(nc, id, info.handler);
      if (dead?.job) job = dead.job;
    }
    if (job) out.payload = showValue(job.payload);
    else if (dead?.payload_size) out.payloadNote = `the payload (${dead.payload_size} bytes) was too big to keep in the dead letter`;
    else out.payloadNote = info.state === "running" ? "the payload is with the worker running it" : "the payload is not kept once a job has finished (results hold the value only)";
    if (info.result) {
      const r = info.result;
      if (r.ok) {
        const v = showValue(r.value ?? null);
        out.result = { text: v.text, cut: v.cut };
      }
    }
    // attempts: deliveries a crash or the watchdog ended (attempt notes), each failed attempt with its
    // error and stack (the job index's history), then the final one
    const notes = await AttemptNotes.open(nc).then((a) => a?.get(id)).catch(() => undefined);
    for (const e of notes?.ended ?? []) {
      if (!e.charged) out.attempts.push({ n: 0, outcome: `${e.cause} (not charged)`, error: { code: e.cause.toUpperCase(), message: e.message }, worker: `${e.worker}/${e.proc}`, at: e.at });
    }
    // the index cannot be read now: the page shows no attempt history rather than no job
    const history = (await findJobEntry(jsm, id).catch(() => undefined))?.entry.history ?? [];
    const seen = new Set<number>();
    for (const h of history) {
      seen.add(h.attempt);
      out.attempts.push({ n: h.attempt, outcome: "failed", error: { code: h.error.code, message: h.error.message, ...(h.stack ? { stack: h.stack } : {}) }, worker: h.worker, at: h.at });
    }
    for (const e of notes?.ended ?? []) {
      if (e.charged && !history.length) out.attempts.push({ n: 0, outcome: e.cause, error: { code: e.cause.toUpperCase(), message: e.message }, worker: `${e.worker}/${e.proc}`, at: e.at });
    }
    out.attempts.sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
    const r = info.result;
    if (r && !(seen.has(r.attempts) && !r.ok)) {
      const total = r.attempts;
      out.attempts.push({
        n: total,
        outcome: r.ok ? "done" : r.error?.code === ErrorCodes.CANCELLED ? "cancelled" : "failed",
        ...(r.error ? { error: { code: r.error.code, message: r.error.message, ...((r.error as { stack?: string }).stack ? { stack: (r.error as { stack?: string }).stack } : {}) } } : {}),
        worker: r.worker,
        at: r.finished_at,
      });
    } else if (info.state === "running") {
      out.attempts.push({ n: info.attempt ?? out.attempts.length + 1, outcome: "running", worker: `${info.worker}/${info.proc}`, at: info.started_at });
    }
    return out;
  }

  async #refresh(nc: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(nc);
    // DOCCTL_TASKS holds the delayed jobs (@at schedules) since the 2.14 floor
    const seqs = await Promise.all([STREAM_RESULTS, STREAM_DEAD, STREAM_TASKS].map((s) => jsm.streams.info(s).then((i) => `${i.state.last_seq}/${i.state.messages}`, () => "-")));
    const key = seqs.join(",");
    // running and queued jobs change without the streams above changing: rebuilt at most every 3 s
    // (a busy fleet changes the results all the time: at most one rebuild a second then)
    if (this.#snap && ((this.#snap.key === key && Date.now() - this.#snap.at < 3000) || Date.now() - this.#snap.at < 1000)) return;
    this.#building ??= this.#build(nc, jsm, key).finally(() => (this.#building = undefined));
    await this.#building;
  }

  async #build(nc: NatsConnection, jsm: JetStreamManager, key: string): Promise<void> {
    const results = await readAll(nc, jsm, STREAM_RESULTS, ALL_RESULTS, RESULTS_READ);
    const deadIds = new Map<string, DeadLetterV1>();
    for (const m of (await readAll(nc, jsm, STREAM_DEAD, ALL_DEAD, 100_000)).msgs) {
      try {
        const d = decodeDead(m.data);
        if (d.job) deadIds.set(d.job.id, d);
      } catch {
        /* not a docctl dead letter (a foreign publisher on the subject): skipped */
      }
    }
    const rows: JobRow[] = [];
    const seen = new Set<string>();
    // live states first: a job re-queued from a dead letter is queued, not dead
    for (const state of ["running", "queued", "scheduled"] as const) {
      for (const j of await listJobs(nc, { state, limit: 50_000 }).catch(() => [] as JobInfo[])) {
        if (seen.has(j.id)) continue;
        seen.add(j.id);
        rows.push({ id: j.id, state, handler: j.handler, batch: j.batch, at: j.run_at ?? j.started_at ?? j.submitted_at, attempts: j.attempt, worker: j.worker });
      }
    }
    const finished: JobRow[] = [];
    for (const m of results.msgs) {
      let r: ResultV1;
      try {
        r = decodeResult(m.data);
      } catch {
        continue; // not a docctl result (a foreign publisher on the subject): skipped
      }
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      const state: JobState = r.ok ? "done" : r.error?.code === ErrorCodes.CANCELLED ? "cancelled" : deadIds.has(r.id) ? "dead" : "failed";
      finished.push({ id: r.id, state, handler: r.handler, batch: r.batch, at: r.finished_at, attempts: r.attempts, worker: r.worker, ...(r.error ? { error: { code: r.error.code, message: r.error.message.slice(0, 300) } } : {}) });
    }
    // dead letters whose result has expired still list as dead
    for (const [id, d] of deadIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      finished.push({ id, state: "dead", handler: d.job?.handler, batch: d.job?.batch, at: d.failed_at, attempts: d.attempts, worker: d.worker, error: { code: d.error.code, message: d.error.message.slice(0, 300) } });
    }
    finished.sort((a, b) => (b.at ?? 0) - (a.at ?? 0));
    this.#snap = { key, rows: [...rows, ...finished], truncated: results.truncated, at: Date.now() };
  }
}

// Messages of a stream in bulk (an ordered consumer: no state left on the server), the newest `max`.
async function readAll(nc: NatsConnection, jsm: JetStreamManager, stream: string, filter: string, max: number): Promise<{ msgs: { data: Uint8Array }[]; truncated: boolean }> {
  let state;
  try {
    state = (await jsm.streams.info(stream)).state;
  } catch (err) {
    if (isNotFound(err)) return { msgs: [], truncated: false };
    throw err;
  }
  if (!state.messages) return { msgs: [], truncated: false };
  const start = Math.max(state.first_seq, state.last_seq - max + 1);
  const c = await jetstream(nc).consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start });
  const msgs: { data: Uint8Array }[] = [];
  try {
    let pending = (await c.info(true)).num_pending;
    while (pending > 0) {
      const batch = await c.fetch({ max_messages: Math.min(pending, 10_000), expires: 3000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        msgs.push({ data: m.data });
        pending = m.info.pending;
        if (pending === 0) break;
      }
      if (!got) break;
    }
  } finally {
    // an ephemeral reader: if the delete fails the server drops it after its inactivity threshold
    await c.delete().catch(() => {});
  }
  return { msgs, truncated: start > state.first_seq };
}

async function deadLetterOf(nc: NatsConnection, id: string, handler?: string): Promise<DeadLetterV1 | undefined> {
  const jsm = await jetstreamManager(nc);
  const r = await readAll(nc, jsm, STREAM_DEAD, deadLetters(handler), 100_000);
  for (const m of r.msgs.reverse()) {
    try {
      const d = decodeDead(m.data);
      if (d.job?.id === id) return d;
    } catch {
      /* not a docctl dead letter (a foreign publisher on the subject): skipped */
    }
  }
  return undefined;
}

async function queuedJob(jsm: JetStreamManager, id: string, handler?: string): Promise<JobV1 | undefined> {
  for await (const m of scanStream(jsm, STREAM_TASKS, handler ? handlerTasks(handler) : ALL_TASKS)) {
    const d = decodeJob(m.data);
    if (d.ok && d.value.id === id) return d.value;
  }
  if (handler) {
    for await (const m of scanStream(jsm, STREAM_TASKS, taskSubject(handler))) {
      const d = decodeJob(m.data);
      if (d.ok && d.value.id === id) return d.value;
    }
  }
  return undefined;
}

/**
 * The job browser over the job index (DOCCTL_JOBS, issue 24): states, handlers and batches are the
 * server's subject filters, counts its message counts, pages its cursors, so a page costs the same
 * with a million jobs. A search by part of an id cannot be a subject filter: it goes to the scan.
 * Without the index (an older fleet) everything goes to the scan.
 */
export class IndexJobSource implements JobSource {
  #hasIndex: { at: number; yes: boolean } | undefined;

  constructor(private readonly nc: () => NatsConnection | undefined, private readonly scan: JobSource = new StreamJobSource(nc)) {}

  async list(q: JobQuery): Promise<JobPage> {
    const nc = this.nc();
    if (!nc || q.q?.trim() || !(await this.#indexed(nc))) return this.scan.list(q);
    const limit = Math.min(Math.max(1, q.limit ?? 50), 500);
    const [page, counts] = await Promise.all([
      queryJobs(nc, { state: q.state, handler: q.handler, batch: q.batch, limit, after: q.cursor || undefined }),
      countJobs(nc, { handler: q.handler, batch: q.batch }),
    ]);
    const jobs: JobRow[] = page.jobs.map((j) => ({
      id: j.id,
      state: j.state,
      handler: j.handler,
      batch: j.batch,
      at: j.at ?? j.run_at ?? j.started_at,
      attempts: j.attempt,
      worker: j.worker,
      ...(j.error ? { error: { code: j.error.code, message: j.error.message.slice(0, 300) } } : {}),
    }));
    return { jobs, total: page.total, counts: { ...(Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>), ...counts }, ...(page.next ? { next: page.next } : {}) };
  }

  get(id: string): Promise<JobDetail | undefined> {
    return this.scan.get(id);
  }

  // whether the index stream exists (asked at most every 10 s)
  async #indexed(nc: NatsConnection): Promise<boolean> {
    if (this.#hasIndex && Date.now() - this.#hasIndex.at < 10_000) return this.#hasIndex.yes;
    const jsm = await jetstreamManager(nc);
    const yes = await jsm.streams.info(STREAM_JOBS).then(() => true, (err) => (isNotFound(err) ? false : Promise.reject(err)));
    this.#hasIndex = { at: Date.now(), yes };
    return yes;
  }
}
