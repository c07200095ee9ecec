// Delayed jobs live in the NATS server: a job with a `run_at` is published to DOCCTL_TASKS as an `@at`
// message schedule on `docctl.delay.<id>` whose target is its task subject; at `run_at` the server
// itself puts the job (the same v1 bytes) on that subject and removes the schedule. No docctl process
// needs to run meanwhile. See docs/protocol.md, "Delayed jobs".
import { deleteIfThere } from "./delete-message.ts";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { decodeJob, type JobV1 } from "../protocol/codec.ts";
import { ALL_DELAYS, DELAY_PREFIX, STREAM_TASKS, delaySubject, prioritySubject } from "../protocol/subjects.ts";
import { isNotFound } from "./errors.ts";

/** The schedule headers of a message the server fires once, at `at` (ms since epoch), into `target`. */
export function atScheduleHeaders(at: number, target: string): Record<string, string> {
  // RFC 3339 in UTC with milliseconds: nats-server 2.15 fires an @at schedule within milliseconds of it
  return { "Nats-Schedule": `@at ${new Date(at).toISOString()}`, "Nats-Schedule-Target": target };
}

/** Where a delayed job goes and how: subject, headers and its dedupe id (the job id, as for any job). */
export function delayedPublish(job: Pick<JobV1, "id" | "handler" | "priority" | "run_at">): { subject: string; headers: Record<string, string>; msgID: string } {
  return { subject: delaySubject(job.id), headers: atScheduleHeaders(job.run_at ?? Date.now(), prioritySubject(job.handler, job.priority)), msgID: job.id };
}

/** A delayed job still waiting in the server. */
export interface DelayedJob {
  /** its schedule message's stream sequence */
  seq: number;
  job: JobV1;
  /** when the server will queue it, ms since epoch */
  runAt: number;
  /** the task subject it will be put on */
  target: string;
  /** the job's bytes as published */
  data: Uint8Array;
}

/** The delayed job `id` waiting in the server, or undefined (never delayed, already queued, cancelled). */
export async function readDelayed(jsm: JetStreamManager, id: string): Promise<DelayedJob | undefined> {
  const m = await jsm.streams.getMessage(STREAM_TASKS, { last_by_subj: delaySubject(id) }).catch((err) => {
    if (isNotFound(err) || (err as { code?: number }).code === 10037) return null;
    throw err;
  });
  if (!m) return undefined;
  const d = decodeJob(m.data);
  if (!d.ok) return undefined;
  const at = /^@at (.+)$/.exec(m.header?.get("Nats-Schedule") ?? "");
  return { seq: m.seq, job: d.value, runAt: at ? Date.parse(at[1]!) : (d.value.run_at ?? 0), target: m.header?.get("Nats-Schedule-Target") ?? "", data: m.data };
}

/** Remove delayed job `id` from the server before it is queued; false when it was not waiting there. */
export async function cancelDelayed(jsm: JetStreamManager, id: string): Promise<boolean> {
  const d = await readDelayed(jsm, id);
  if (!d) return false;
  return await deleteIfThere(jsm, STREAM_TASKS, d.seq); // false: fired meanwhile, no longer delayed
}

/**
 * Queue delayed job `id` now instead of at its `run_at`: its schedule is replaced by one due now (the
 * server fires it within a second). The replacement is conditional on the schedule still being the one
 * read, so a job the server fired meanwhile is never queued twice. False when it was not waiting.
 */
export async function promoteDelayed(nc: NatsConnection, id: string): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  const d = await readDelayed(jsm, id);
  if (!d) return false;
  const h = natsHeaders();
  for (const [k, v] of Object.entries(atScheduleHeaders(Date.now(), d.target))) h.set(k, v);
  try {
    await jsm.jetstream().publish(delaySubject(id), d.data, {
      headers: h,
      expect: { lastSubjectSequence: d.seq },
    });
    return true;
  } catch {
    return false; // the expected sequence moved: the schedule fired or changed meanwhile, nothing replaced
  }
}

/** Every delayed job waiting in the server (a scan of `docctl.delay.*`; for status and job lists). */
export async function* listDelayed(nc: NatsConnection): AsyncGenerator<DelayedJob> {
  const jsm = await jetstreamManager(nc);
  let info;
  try {
    info = await jsm.streams.info(STREAM_TASKS, { subjects_filter: ALL_DELAYS });
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    const d = await readDelayed(jsm, subject.slice(DELAY_PREFIX.length));
    if (d) yield d;
  }
}

/** How many delayed jobs wait in the server. */
export async function countDelayed(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  try {
    const info = await jsm.streams.info(STREAM_TASKS, { subjects_filter: ALL_DELAYS });
    return Object.keys(info.state.subjects ?? {}).length;
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
}
