// Schedules in KV DOCCTL_SCHEDULES: add (checked: cron, time zone, the job file, its handlers), list, remove.
import type { NatsConnection } from "@nats-io/transport-node";
import type { ScheduleV1 } from "../protocol/jobcontrol.ts";
import { InputError } from "../protocol/errors.ts";
import { tokenProblem } from "../protocol/subjects.ts";
import { schedulesBucket } from "../nats/buckets.ts";
import { knownHandlerNames } from "../nats/handlers.ts";
import { parseJobFile } from "./jobfile.ts";
import { cronProblem, jobFileForTick, nextTick, tickId } from "./schedule-ticks.ts";

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

/** Shortest `--every`: a tick must fit well inside the duplicate window and not flood the queue. */
export const MIN_EVERY_MS = 1000;

/** Store a schedule (replacing one of the same name); every manager fires it from its next check on. */
export async function addSchedule(nc: NatsConnection, spec: ScheduleSpec, now = Date.now()): Promise<ScheduleV1> {
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
  let job: unknown;
  try {
    job = JSON.parse(spec.text);
  } catch {
    parseJobFile(spec.text, spec.source); // throws with file:line:col
    throw new InputError(`${spec.source}: not JSON`);
  }
  if (/"run_at"\s*:/.test(spec.text)) throw new InputError(`${spec.source}: "run_at" has no meaning in a schedule (every tick would have the same time); use "delay" to start each tick's job later`);
  // the file as it will be fired: checked now, so a mistake never becomes a schedule that silently never runs
  const plan = parseJobFile(jobFileForTick(job, tickId(spec.name, now)), spec.source);
  if (!spec.create) {
    const known = new Set(await knownHandlerNames(nc));
    for (const h of plan.handlers) {
      if (!known.has(h)) throw new InputError(`unknown handler "${h}" in ${spec.source} (known: ${[...known].join(", ") || "none yet"}); start a worker that has it, or add with --create`);
    }
  }
  const s: ScheduleV1 = { v: 1, name: spec.name, cron: spec.cron, tz: spec.tz, every_ms: spec.every_ms, job, created_at: now };
  const kv = await schedulesBucket(nc);
  await kv.put(spec.name, JSON.stringify(s));
  return s;
}

/** Every schedule, with its next tick. */
export async function listSchedules(nc: NatsConnection, now = Date.now()): Promise<(ScheduleV1 & { next_at?: number })[]> {
  const kv = await schedulesBucket(nc);
  const out: (ScheduleV1 & { next_at?: number })[] = [];
  for await (const k of await kv.keys()) {
    const e = await kv.get(k);
    if (!e || e.operation !== "PUT") continue;
    try {
      const s = JSON.parse(e.string()) as ScheduleV1;
      out.push({ ...s, next_at: nextTick(s, now) });
    } catch {
      /* not ours */
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Remove schedule `name`; false when there is none. */
export async function removeSchedule(nc: NatsConnection, name: string): Promise<boolean> {
  const kv = await schedulesBucket(nc);
  const e = await kv.get(name);
  if (!e || e.operation !== "PUT") return false;
  await kv.delete(name);
  return true;
}
