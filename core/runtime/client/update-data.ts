// updateData (BullMQ's job.updateData): replace the payload of a job that has not started. A delayed
// job's schedule is replaced conditionally on its sequence (as promote does); a queued or retrying
// job's message is replaced while its consumer is paused, so no worker can take it between the check
// "not handed out yet" and the swap: the job runs once, with one of the two payloads, and the answer
// says which.
import { deleteIfThere } from "../nats/delete-message.ts";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { decodeJob, encodeJob, jobHash, payloadProblem, type JobV1 } from "../protocol/codec.ts";
import { InputError } from "../protocol/errors.ts";
import { STREAM_TASKS, delaySubject, priorityConsumer, prioritySubject, tokenProblem, type Priority } from "../protocol/subjects.ts";
import { atScheduleHeaders, readDelayed } from "../nats/delays.ts";
import { JobIndexWriter, entryOfJob } from "../nats/job-index.ts";
import { holdConsumer } from "./consumer-hold.ts";
import { findJobEntry } from "./job-index.ts";
import { findRunning } from "./job-info.ts";
import { scanStream } from "./job-state.ts";

/** What updateData did: `updated` with the state the job waits in, or not, with the state that made it too late. */
export type UpdateOutcome = { updated: true; id: string; state: "scheduled" | "queued" | "retrying" } | { updated: false; id: string; state: string; why: string };

/** A retrying job whose next attempt is due sooner than this may be starting: too late to change. */
export const RETRY_MARGIN_MS = 2_000;

/** The pure part: is a job in this state (and, retrying, due then) still changeable? The refusal's words. */
export function tooLate(id: string, state: string, o: { nextAt?: number; now: number }): string | undefined {
  if (state === "running") return `job ${id} is running; its payload can no longer change`;
  if (["done", "failed", "cancelled", "dead"].includes(state)) return `job ${id} is finished (${state}); its payload can no longer change`;
  if (state === "retrying" && (o.nextAt === undefined || o.nextAt - o.now < RETRY_MARGIN_MS)) return `job ${id} is about to start its next attempt; its payload can no longer change`;
  return undefined;
}

/** Replace the payload of job `id` if it has not started (scheduled, queued, or waiting for a retry). */
export async function updateJobData(nc: NatsConnection, id: string, payload: unknown): Promise<UpdateOutcome> {
  const p = tokenProblem(id);
  if (p) throw new InputError(`job id "${id}" ${p}`);
  const problem = payloadProblem(payload, "payload");
  if (problem) throw new InputError(problem);
  const jsm = await jetstreamManager(nc);
  // A delayed job first: its schedule is replaced only if it is still the one read (not fired meanwhile).
  const delayed = await replaceDelayed(nc, jsm, id, payload);
  if (delayed) return delayed;
  const f = await findJobEntry(jsm, id);
  if (!f) {
    // a job may be queued by a foreign client without an entry: not looked for on every queue
    throw new InputError(`nothing is known about job "${id}": never submitted, or its result has expired (see docctl job ${id})`);
  }
  const late = tooLate(id, f.entry.state, { nextAt: f.entry.next_at, now: Date.now() });
  if (late) return { updated: false, id, state: f.entry.state, why: late };
  if (f.entry.state === "scheduled") {
    // the schedule fired between the two reads: it is queued now (its entry follows); look again
    return { updated: false, id, state: "queued", why: `job ${id} was queued just now; try again` };
  }
  if ((await findRunning(nc, (j) => j.id === id)).length) return { updated: false, id, state: "running", why: tooLate(id, "running", { now: 0 })! };
  return replaceOnQueue(nc, jsm, id, f.entry.handler, f.entry.priority ?? "normal", f.entry.state as "queued" | "retrying", f.entry, payload);
}

async function replaceDelayed(nc: NatsConnection, jsm: JetStreamManager, id: string, payload: unknown): Promise<UpdateOutcome | undefined> {
  const d = await readDelayed(jsm, id);
  if (!d) return undefined;
  const job = withPayload(d.job, payload);
  const h = natsHeaders();
  for (const [k, v] of Object.entries(atScheduleHeaders(d.runAt, d.target || prioritySubject(job.handler, job.priority)))) h.set(k, v);
  try {
    await jsm.jetstream().publish(delaySubject(id), encodeJob(job), { headers: h, expect: { lastSubjectSequence: d.seq } });
  } catch {
    return undefined; // fired (or cancelled) meanwhile: the queued path decides
  }
  return { updated: true, id, state: "scheduled" };
}

// The consumer of the job's priority is paused (until PAUSE_MS from now, so a dead updater leaves no
// lasting pause); with deliveries stopped, a message past the consumer's delivered sequence cannot be
// handed out until the resume, and a retrying job (delivered, waiting for its redelivery time) is not
// redelivered. The message is then deleted and published again with the new payload.
async function replaceOnQueue(
  nc: NatsConnection,
  jsm: JetStreamManager,
  id: string,
  handler: string,
  priority: Priority,
  state: "queued" | "retrying",
  entry: { task_seq?: number; attempt?: number; max_attempts?: number; next_at?: number },
  payload: unknown,
): Promise<UpdateOutcome> {
  // no consumer yet (queued with `create` before any worker registered the handler): nothing delivered
  const pause = await holdConsumer(jsm, priorityConsumer(handler, priority));
  try {
    const delivered = pause.delivered;
    const found = await findTask(jsm, handler, priority, id, entry.task_seq);
    if (!found) return { updated: false, id, state: "running", why: `job ${id} has been taken by a worker (running or finished); its payload can no longer change` };
    if (state === "queued" && found.seq <= delivered) {
      return { updated: false, id, state: "running", why: `job ${id} has been handed to a worker (it is starting); its payload can no longer change` };
    }
    if (state === "retrying") {
      const late = tooLate(id, state, { nextAt: entry.next_at, now: Date.now() });
      if (late) return { updated: false, id, state, why: late };
    }
    if (!(await deleteIfThere(jsm, STREAM_TASKS, found.seq))) {
      return { updated: false, id, state: "running", why: `job ${id} has been taken by a worker (running or finished); its payload can no longer change` };
    }
    const writer = new JobIndexWriter(nc);
    try {
      if (state === "queued") {
        const job = withPayload(found.job, payload);
        const ack = await jsm.jetstream().publish(prioritySubject(handler, priority), encodeJob(job));
        await writer.moved(entryOfJob(job, "queued", { task_seq: ack.seq }));
        return { updated: true, id, state: "queued" };
      }
      // retrying: back as a delayed job due at its next attempt time, with the attempts it has left
      // (its entry stays `retrying`, with the attempts used, the last error and the next time)
      const used = entry.attempt ?? 1;
      const max = entry.max_attempts ?? found.job.attempts;
      const job = withPayload({ ...found.job, run_at: entry.next_at, attempts: max !== undefined ? Math.max(1, max - used) : undefined }, payload);
      const h = natsHeaders();
      for (const [k, v] of Object.entries(atScheduleHeaders(entry.next_at!, prioritySubject(handler, priority)))) h.set(k, v);
      await jsm.jetstream().publish(delaySubject(id), encodeJob(job), { headers: h });
      return { updated: true, id, state: "retrying" };
    } finally {
      writer.close();
    }
  } finally {
    await pause.release();
  }
}

function withPayload(job: JobV1, payload: unknown): JobV1 {
  return { ...job, payload, hash: jobHash({ handler: job.handler, payload, attempts: job.attempts, timeout_ms: job.timeout_ms }) };
}

// The job's message on its priority's subject: at its recorded sequence, else looked for.
async function findTask(jsm: JetStreamManager, handler: string, priority: Priority, id: string, seq?: number): Promise<{ seq: number; job: JobV1 } | undefined> {
  if (seq) {
    const m = await jsm.streams.getMessage(STREAM_TASKS, { seq }); // null: not there any more (10037)
    const d = m ? decodeJob(m.data) : undefined;
    if (m && d?.ok && d.value.id === id) return { seq: m.seq, job: d.value };
  }
  for await (const m of scanStream(jsm, STREAM_TASKS, prioritySubject(handler, priority))) {
    const d = decodeJob(m.data);
    if (d.ok && d.value.id === id) return { seq: m.seq, job: d.value };
  }
  return undefined;
}


