// Queue operations (BullMQ's drain/clean/promote/changePriority, Sidekiq's queue clear and dead set):
// purge a handler's queued, scheduled or dead jobs, remove dead letters, run a delayed job now, change
// a queued job's priority. Each keeps the job index in step.
import { deleteIfThere } from "../nats/delete-message.ts";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { decodeDead, decodeJob, encodeJob, type JobV1 } from "../protocol/codec.ts";
import { InputError } from "../protocol/errors.ts";
import { STREAM_JOBS, decodeJobEntry, jobEntryFilter } from "../protocol/job-entry.ts";
import { PRIORITIES, STREAM_DEAD, STREAM_TASKS, delaySubject, priorityConsumer, prioritySubject, tokenProblem, type Priority } from "../protocol/subjects.ts";
import { atScheduleHeaders } from "../nats/delays.ts";
import { JobIndexWriter, entryOfJob } from "../nats/job-index.ts";
import { isNotFound } from "../nats/errors.ts";
import { listDead } from "./dead.ts";
import { holdConsumer } from "./consumer-hold.ts";
import { findJobEntry, queryJobs } from "./job-index.ts";
import { deadSubject } from "../protocol/subjects.ts";

export const PURGE_STATES = ["queued", "scheduled", "dead"] as const;
export type PurgeState = (typeof PURGE_STATES)[number];

function checkToken(what: string, v: string): void {
  const p = tokenProblem(v);
  if (p) throw new InputError(`${what} "${v}" ${p}`);
}

/** How many jobs of `handler` a purge of `state` would remove. */
export async function purgeCount(nc: NatsConnection, handler: string, state: PurgeState): Promise<number> {
  checkToken("handler", handler);
  const jsm = await jetstreamManager(nc);
  if (state === "queued") {
    let n = 0;
    for (const p of PRIORITIES) n += await subjectCount(jsm, STREAM_TASKS, prioritySubject(handler, p));
    return n;
  }
  if (state === "dead") return subjectCount(jsm, STREAM_DEAD, deadSubject(handler));
  return (await queryJobs(nc, { state: "scheduled", handler, limit: 1 })).total;
}

/**
 * Remove every `state` job of `handler`: queued ones (with those waiting for a retry) from the task
 * queue, scheduled ones before they run, dead letters. Purged jobs get no result; a job a worker has
 * already started finishes. Returns how many were removed.
 */
export async function purgeJobs(nc: NatsConnection, handler: string, state: PurgeState): Promise<number> {
  checkToken("handler", handler);
  if (!PURGE_STATES.includes(state)) throw new InputError(`--state must be one of ${PURGE_STATES.join(", ")} (got "${state}")`);
  const jsm = await jetstreamManager(nc);
  if (state === "queued") {
    let n = 0;
    for (const p of PRIORITIES) n += (await purgeSubject(jsm, STREAM_TASKS, prioritySubject(handler, p))).purged;
    // their index entries go with them (the ones waiting for a retry were on the task queue too)
    await purgeSubject(jsm, STREAM_JOBS, jobEntryFilter({ state: "queued", handler }));
    await purgeSubject(jsm, STREAM_JOBS, jobEntryFilter({ state: "retrying", handler }));
    return n;
  }
  if (state === "dead") {
    // the jobs stay failed (their results are kept): their entries say so
    const writer = new JobIndexWriter(nc);
    try {
      for await (const e of deadEntries(nc, jsm, handler)) await writer.moved({ ...e, state: "failed", at: Date.now() });
    } finally {
      writer.close();
    }
    return (await purgeSubject(jsm, STREAM_DEAD, deadSubject(handler))).purged;
  }
  let n = 0;
  for (;;) {
    const page = await queryJobs(nc, { state: "scheduled", handler, limit: 1000 });
    if (!page.jobs.length) break;
    for (const j of page.jobs) {
      if (await removeDelayed(jsm, j.id)) n++;
      await purgeSubject(jsm, STREAM_JOBS, jobEntryFilter({ handler, id: j.id }));
    }
  }
  return n;
}

/** Remove the dead letters of job `id`, or all of them (of one handler); the jobs stay failed. Returns the ids removed. */
export async function removeDead(nc: NatsConnection, which: { id?: string; all?: boolean; handler?: string }): Promise<string[]> {
  if (which.id) checkToken("job id", which.id);
  if (which.handler) checkToken("handler", which.handler);
  const jsm = await jetstreamManager(nc);
  const entries = await listDead(nc, which.handler);
  const chosen = which.all ? entries : entries.filter((e) => e.dead.job?.id === which.id);
  if (!which.all && !chosen.length) throw new InputError(`no dead letter for job "${which.id}" (see docctl dead ls; dead letters expire after the configured time)`);
  const writer = new JobIndexWriter(nc);
  const out: string[] = [];
  try {
    for (const e of chosen) {
      if (!(await deleteIfThere(jsm, STREAM_DEAD, e.seq))) continue; // retried or removed meanwhile
      const id = e.dead.job?.id ?? `seq-${e.seq}`;
      out.push(id);
      const f = e.dead.job ? await findJobEntry(jsm, e.dead.job.id) : undefined;
      if (f && f.entry.state === "dead") await writer.moved({ ...f.entry, state: "failed", at: Date.now() });
    }
  } finally {
    writer.close();
  }
  return out;
}

/** Run a scheduled (delayed) job now. Returns false when it is not scheduled (any more). */
export async function promoteJob(nc: NatsConnection, id: string): Promise<{ promoted: boolean; state?: string }> {
  checkToken("job id", id);
  const jsm = await jetstreamManager(nc);
  const f = await findJobEntry(jsm, id);
  const writer = new JobIndexWriter(nc);
  try {
    // the queued entry goes first: the job may run and finish before a later write would land
    const moved = await promoteDelayedJob(nc, jsm, id, (job) => writer.moved(entryOfJob(job, "queued")));
    return moved ? { promoted: true } : { promoted: false, state: f?.entry.state };
  } finally {
    writer.close();
  }
}

/**
 * Give a queued job another priority: its message is taken off the task queue and published on the
 * priority's subject. A job already handed to a worker is not moved.
 */
export async function reprioritizeJob(nc: NatsConnection, id: string, priority: Priority): Promise<{ moved: boolean; why?: string }> {
  checkToken("job id", id);
  if (!PRIORITIES.includes(priority)) throw new InputError(`priority must be one of ${PRIORITIES.join(", ")} (got "${priority}")`);
  const jsm = await jetstreamManager(nc);
  const f = await findJobEntry(jsm, id);
  if (!f) return { moved: false, why: "no such job in the index" };
  if (f.entry.state !== "queued") return { moved: false, why: `it is ${f.entry.state}, not queued` };
  const from = f.entry.priority ?? "normal";
  if (from === priority) return { moved: false, why: `it is already ${priority}` };
  // held (consumer-hold.ts): between the "not handed out" check and the delete no worker can take it,
  // so a job is never both started and moved (it was a check, then a delete, with a window between)
  const hold = await holdConsumer(jsm, priorityConsumer(f.entry.handler, from));
  try {
    const found = await findTask(jsm, f.entry.handler, from, id, f.entry.task_seq);
    if (!found) return { moved: false, why: "it is no longer on the task queue (started, or purged)" };
    if (found.seq <= hold.delivered) return { moved: false, why: "it was already handed to a worker" };
    if (!(await deleteIfThere(jsm, STREAM_TASKS, found.seq))) return { moved: false, why: "it was taken by a worker meanwhile" };
    const job = { ...found.job, priority: priority === "normal" ? undefined : priority };
    const writer = new JobIndexWriter(nc);
    try {
      // the entry first: the job may run and finish before a later write would land
      await writer.moved(entryOfJob(job, "queued"));
      await jetstream(nc).publish(prioritySubject(job.handler, priority), encodeJob(job));
    } finally {
      writer.close();
    }
    return { moved: true };
  } finally {
    await hold.release();
  }
}

// The job's message on the task queue: at its recorded sequence, else looked for on its subject.
async function findTask(jsm: JetStreamManager, handler: string, priority: Priority, id: string, seq?: number) {
  if (seq) {
    const m = await jsm.streams.getMessage(STREAM_TASKS, { seq }); // null: not there any more (10037)
    const d = m ? decodeJob(m.data) : undefined;
    if (m && d?.ok && d.value.id === id) return { seq: m.seq, job: d.value };
  }
  const { scanStream } = await import("./job-state.ts");
  for await (const m of scanStream(jsm, STREAM_TASKS, prioritySubject(handler, priority))) {
    const d = decodeJob(m.data);
    if (d.ok && d.value.id === id) return { seq: m.seq, job: d.value };
  }
  return undefined;
}

// A delayed job waits as a message schedule on docctl.delay.<id> in DOCCTL_TASKS (nats/delays.ts; jobs
// an older docctl left in DOCCTL_DELAYED are migrated there once by workers and managers).
async function delayedMessage(jsm: JetStreamManager, id: string) {
  const subject = delaySubject(id);
  const m = await jsm.streams.getMessage(STREAM_TASKS, { last_by_subj: subject }); // null: no such delayed job (10037)
  return m ? { stream: STREAM_TASKS, subject, m } : undefined;
}

/** Remove a delayed job before it runs; false when there is none. */
export async function removeDelayed(jsm: JetStreamManager, id: string): Promise<boolean> {
  const d = await delayedMessage(jsm, id);
  return d ? await deleteIfThere(jsm, d.stream, d.m.seq) : false;
}

// Run a delayed job now: a schedule is replaced by one due now (conditional on the one read, so two
// promotes cannot queue it twice); an old-style delayed message is published to its queue and removed.
async function promoteDelayedJob(nc: NatsConnection, jsm: JetStreamManager, id: string, before: (job: JobV1) => Promise<void>) {
  const d = await delayedMessage(jsm, id);
  if (!d) return undefined;
  const job = decodeJob(d.m.data);
  if (!job.ok) return undefined;
  const js = jetstream(nc);
  await before(job.value);
  const h = headers();
  for (const [k, v] of Object.entries(atScheduleHeaders(Date.now(), d.m.header?.get("Nats-Schedule-Target") || prioritySubject(job.value.handler, job.value.priority)))) h.set(k, v);
  h.set("Nats-Expected-Last-Subject-Sequence", String(d.m.seq));
  await js.publish(d.subject, d.m.data, { headers: h });
  return job.value;
}

async function* deadEntries(nc: NatsConnection, jsm: JetStreamManager, handler: string) {
  for (const e of await listDead(nc, handler)) {
    if (!e.dead.job) continue;
    const f = await findJobEntry(jsm, e.dead.job.id);
    if (f && f.entry.state === "dead") yield f.entry;
  }
  void decodeDead;
  void decodeJobEntry;
}

async function subjectCount(jsm: JetStreamManager, stream: string, subject: string): Promise<number> {
  try {
    const si = await jsm.streams.info(stream, { subjects_filter: subject });
    return Object.values(si.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
}

async function purgeSubject(jsm: JetStreamManager, stream: string, filter: string): Promise<{ purged: number }> {
  try {
    return await jsm.streams.purge(stream, { filter });
  } catch (err) {
    if (isNotFound(err)) return { purged: 0 };
    throw err;
  }
}
