// The jobs of a schedule's tick: what a worker does to a message the server produced from a schedule
// (docs/protocol.md, "Schedules"). A schedule message holds a job with ids based on `sched-<name>`;
// every tick the server copies it to the job's task subject with the header `Nats-Scheduler:
// docctl.schedule.<name>.<i>`, and the worker that takes it puts the tick into the ids:
// `sched-<name>` → `sched-<name>-<tick ms>`, `sched-<name>-3` → `sched-<name>-<tick ms>-3`. The tick is
// the second the server stored the message at (its stream timestamp, rounded down to the second).
import type { JobV1 } from "./codec.ts";
import { SCHEDULE_PREFIX } from "./subjects.ts";

/** The header the server puts on a message it produced from a schedule: the schedule's subject. */
export const SCHEDULER_HEADER = "Nats-Scheduler";

/** The ids of a schedule's jobs before a tick is put in: `sched-<name>`, `sched-<name>-<i>`. */
export const tickBase = (name: string) => `sched-${name}`;

/** The id of one tick of a schedule: `sched-<name>-<tick ms>` (a batch's items and a list's jobs add `-<i>`). */
export const tickId = (name: string, tick: number) => `sched-${name}-${tick}`;

/** The schedule name in a `Nats-Scheduler` header, or undefined (none, or a delayed job's `docctl.delay.<id>`). */
export function scheduleNameOf(scheduler: string | undefined): string | undefined {
  if (!scheduler?.startsWith(SCHEDULE_PREFIX)) return undefined;
  const name = scheduler.slice(SCHEDULE_PREFIX.length).split(".")[0];
  return name || undefined;
}

/** The tick a message stored at `timestampMs` stands for: its second. */
export const tickOf = (timestampMs: number) => Math.floor(timestampMs / 1000) * 1000;

/** `id` with the tick put in after the schedule's base, or `id` as it is when it is not based on it. */
export function idForTick(id: string, name: string, tick: number): string {
  const base = tickBase(name);
  if (id === base) return tickId(name, tick);
  if (id.startsWith(`${base}-`)) return `${tickId(name, tick)}${id.slice(base.length)}`;
  return id;
}

/** The job of tick `tick` of schedule `name`: every id (its own, its batch, a chain's steps, a batch's reduce step) with the tick in. */
export function jobForTick(job: JobV1, name: string, tick: number): JobV1 {
  const f = (id: string) => idForTick(id, name, tick);
  return {
    ...job,
    id: f(job.id),
    batch: f(job.batch),
    ...(job.next ? { next: job.next.map((s) => ({ ...s, id: f(s.id) })) } : {}),
    ...(job.then ? { then: { ...job.then, id: f(job.then.id) } } : {}),
  };
}
