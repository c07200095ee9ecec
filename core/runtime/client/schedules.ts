// Schedules live in the NATS server (message schedules, nats-server 2.14+): `add` stores one schedule
// message per job of the file on `docctl.schedule.<name>.<i>` in DOCCTL_TASKS, whose target is the
// job's task subject; the server fires it (cron with a time zone, or @every) with no docctl process
// running, and the jobs wait in their queue. The schedule's description (the job file, timing, paused)
// is kept in KV DOCCTL_SCHEDULES for `ls`, `pause`/`resume` and `run`; workers record each finished
// tick there (`last.<name>`). See docs/jobs.md and docs/protocol.md.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { ScheduleRunV1, ScheduleV1 } from "../protocol/jobcontrol.ts";
import { encodeJob, type JobV1 } from "../protocol/codec.ts";
import { InputError } from "../protocol/errors.ts";
import { STREAM_TASKS, prioritySubject, scheduleSubject, scheduleSubjects, tokenProblem } from "../protocol/subjects.ts";
import { jobForTick, tickBase, tickOf } from "../protocol/ticks.ts";
import { schedulesBucket } from "../nats/buckets.ts";
import { lastKey } from "../nats/schedule-runs.ts";
import { knownHandlerNames } from "../nats/handlers.ts";
import { JetStreamPublisher } from "../nats/publisher.ts";
import { ensureStreams, topologyDefaults } from "../nats/topology.ts";
import { parseJobFile } from "./jobfile.ts";
import { cronProblem, jobFileForTick, nextTick, scheduleHeaders } from "./schedule-spec.ts";

export interface ScheduleSpec {
  name: string;
  cron?: string;
  tz?: string;
  every_ms?: number;
  /** the job file's text */
  text: string;
  /** where the text came from, for messages */
  source: string;
  /** accept handlers the fleet does not know yet */
  create?: boolean;
}

/** A schedule as `schedule ls` shows it. */
export type ScheduleListing = ScheduleV1 & { next_at?: number; last?: ScheduleRunV1 };

/** Shortest `--every`: a tick id is its second, and ticks must not flood the queue. */
export const MIN_EVERY_MS = 1000;


/** The jobs one tick of `s` publishes, before the tick is put in their ids; checked like a submit's. */
function tickJobs(s: Pick<ScheduleV1, "name" | "job">, source: string): JobV1[] {
  const plan = parseJobFile(jobFileForTick(s.job, tickBase(s.name)), source);
  if (plan.longestDelayMs || plan.latestRunAt !== undefined) {
    throw new InputError(`${source}: "delay" and "run_at" have no meaning in a schedule (the server fires it at its ticks); shift the --cron expression instead`);
  }
  const out: JobV1[] = [];
  for (const j of plan.jobs) {
    if (j.virtual) continue;
    out.push({ v: 1, id: j.id, batch: tickBase(s.name), handler: j.handler, payload: j.payload, submitted_at: 0, attempts: j.attempts, timeout_ms: j.timeout_ms, priority: j.priority, next: j.next, then: j.then });
  }
  return out;
}

function checkSpec(spec: ScheduleSpec): void {
  const p = tokenProblem(spec.name);
  if (p) throw new InputError(`schedule name "${spec.name}" ${p}`);
  if (spec.name.length > 80) throw new InputError(`schedule name "${spec.name}" is over 80 characters (job ids are derived from it)`);
  if (!spec.cron === !spec.every_ms) throw new InputError("give --cron EXPR or --every DURATION (one of them)");
  if (spec.tz && !spec.cron) throw new InputError("--tz goes with --cron (an --every schedule counts from when it was added)");
  if (spec.cron) {
    const cp = cronProblem(spec.cron, spec.tz);
    if (cp) throw new InputError(cp);
  }
  if (spec.every_ms !== undefined && spec.every_ms < MIN_EVERY_MS) throw new InputError(`--every must be at least 1s (got ${spec.every_ms}ms)`);
}

/** Store schedule messages for `s` (replacing those of the same name); the server fires them from now on. */
async function arm(nc: NatsConnection, s: ScheduleV1, jobs: JobV1[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, topologyDefaults, { createOnly: true });
  await jsm.streams.purge(STREAM_TASKS, { filter: scheduleSubjects(s.name) });
  const pub = new JetStreamPublisher(nc);
  try {
    for (const [i, j] of jobs.entries()) {
      await pub.publish(scheduleSubject(s.name, i), encodeJob(j), { headers: scheduleHeaders(s, prioritySubject(j.handler, j.priority)) }).catch((err) => {
        throw new InputError(`schedule ${s.name}: the NATS server refused it: ${(err as Error).message}`, { cause: err });
      });
    }
  } finally {
    pub.close();
  }
}

/** Store a schedule (replacing one of the same name); the server fires it from now on. */
export async function addSchedule(nc: NatsConnection, spec: ScheduleSpec, now = Date.now()): Promise<ScheduleV1> {
  checkSpec(spec);
  let job: unknown;
  try {
    job = JSON.parse(spec.text);
  } catch {
    parseJobFile(spec.text, spec.source); // throws with file:line:col
    throw new InputError(`${spec.source}: not JSON`);
  }
  const s: ScheduleV1 = { v: 1, name: spec.name, cron: spec.cron, tz: spec.tz, every_ms: spec.every_ms, job, created_at: now };
  // the file as it will be fired: checked now, so a mistake never becomes a schedule that silently never runs
  const jobs = tickJobs(s, spec.source);
  if (!spec.create) {
    const known = new Set(await knownHandlerNames(nc));
    for (const h of new Set(jobs.flatMap((j) => [j.handler, ...(j.next ?? []).map((n) => n.handler), ...(j.then ? [j.then.handler] : [])]))) {
      if (!known.has(h)) throw new InputError(`unknown handler "${h}" in ${spec.source} (known: ${[...known].join(", ") || "none yet"}); start a worker that has it, or add with --create`);
    }
  }
  const max = nc.info?.max_payload ?? 1024 * 1024;
  for (const j of jobs) {
    const size = encodeJob(j).byteLength;
    if (size + 1024 > max) throw new InputError(`${spec.source}: job "${j.id}" is ${size} bytes encoded, over the server's limit of ${max} bytes`);
  }
  s.jobs = jobs.length;
  await arm(nc, s, jobs);
  const kv = await schedulesBucket(nc);
  await kv.put(spec.name, JSON.stringify(s));
  return s;
}

async function readSchedule(nc: NatsConnection, name: string): Promise<ScheduleV1 | undefined> {
  if (tokenProblem(name)) return undefined;
  const kv = await schedulesBucket(nc);
  const e = await kv.get(name);
  if (!e || e.operation !== "PUT") return undefined;
  try {
    return JSON.parse(e.string()) as ScheduleV1;
  } catch {
    return undefined; // not JSON: a foreign or cut entry is no schedule
  }
}

/** Every schedule, with its next run and the last tick a worker finished. */
export async function listSchedules(nc: NatsConnection, now = Date.now()): Promise<ScheduleListing[]> {
  const kv = await schedulesBucket(nc);
  const specs: ScheduleV1[] = [];
  const last = new Map<string, ScheduleRunV1>();
  for await (const k of await kv.keys()) {
    const e = await kv.get(k);
    if (!e || e.operation !== "PUT") continue;
    try {
      if (k.startsWith("last.")) last.set(k.slice(5), JSON.parse(e.string()) as ScheduleRunV1);
      else specs.push(JSON.parse(e.string()) as ScheduleV1);
    } catch {
      /* not JSON: a foreign or cut entry in the schedules bucket, not listed */
    }
  }
  return specs
    .map((s) => ({ ...s, next_at: s.paused ? undefined : nextTick(s, now, last.get(s.name)?.tick), last: last.get(s.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Remove schedule `name` (its schedule messages and description); false when there is none. */
export async function removeSchedule(nc: NatsConnection, name: string): Promise<boolean> {
  const s = await readSchedule(nc, name);
  if (!s) return false;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.purge(STREAM_TASKS, { filter: scheduleSubjects(name) });
  const kv = await schedulesBucket(nc);
  await kv.delete(name);
  // its last-run note: gone with the schedule if this fails, as the note's TTL ends it
  await kv.delete(lastKey(name)).catch(() => {});
  return true;
}

/** Pause (`paused` true: its schedule messages are removed, nothing fires) or resume schedule `name`; undefined when there is none. */
export async function setSchedulePaused(nc: NatsConnection, name: string, paused: boolean, now = Date.now()): Promise<ScheduleV1 | undefined> {
  const s = await readSchedule(nc, name);
  if (!s) return undefined;
  if (paused) {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.purge(STREAM_TASKS, { filter: scheduleSubjects(name) });
  } else if (s.paused) {
    // an --every schedule counts again from its resume
    s.created_at = now;
    await arm(nc, s, tickJobs(s, `schedule ${name}`));
  }
  s.paused = paused;
  await (await schedulesBucket(nc)).put(name, JSON.stringify(s));
  return s;
}

/**
 * Fire schedule `name` now, as a tick of this second (`sched-<name>-<now s>`), without changing its
 * timing; paused ones too. Resolves with the ids queued, or undefined when there is no such schedule.
 */
export async function runScheduleNow(nc: NatsConnection, name: string, now = Date.now()): Promise<string[] | undefined> {
  const s = await readSchedule(nc, name);
  if (!s) return undefined;
  const tick = tickOf(now);
  const pub = new JetStreamPublisher(nc);
  const ids: string[] = [];
  try {
    for (const j of tickJobs(s, `schedule ${name}`)) {
      const job = { ...jobForTick(j, name, tick), submitted_at: now };
      await pub.publish(prioritySubject(job.handler, job.priority), encodeJob(job), { msgID: job.id });
      ids.push(job.id);
    }
  } finally {
    pub.close();
  }
  return ids;
}
