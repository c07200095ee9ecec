// When a schedule fires (pure, around croner) and the ids its jobs get for one tick.
import { Cron } from "croner";
import type { ScheduleV1 } from "../protocol/jobcontrol.ts";

/** Why a cron expression or time zone is unusable, or undefined. */
export function cronProblem(expr: string, tz?: string): string | undefined {
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
    } catch {
      return `--tz "${tz}" is not a time zone; use an IANA name like Europe/Paris, America/New_York or UTC`;
    }
  }
  try {
    const c = new Cron(expr, { timezone: tz, paused: true });
    if (!c.nextRun()) return `--cron "${expr}" never fires`;
  } catch (err) {
    return `--cron "${expr}" is not a cron expression: ${(err as Error).message} (5 fields "min hour day month weekday", e.g. "0 2 * * *", or 6 with seconds first)`;
  }
  return undefined;
}

/** The most recent tick at or before `now` (ms since epoch), or undefined before the first. */
export function latestTick(s: Pick<ScheduleV1, "cron" | "tz" | "every_ms" | "created_at">, now: number): number | undefined {
  if (s.every_ms) {
    const k = Math.floor((now - s.created_at) / s.every_ms);
    return k >= 1 ? s.created_at + k * s.every_ms : undefined;
  }
  if (!s.cron) return undefined;
  // croner: a run earlier in the same second as the reference is included, so ask from the next ms
  const prev = new Cron(s.cron, { timezone: s.tz, paused: true }).previousRuns(1, new Date(now + 1))[0];
  if (!prev || prev.getTime() < s.created_at) return undefined;
  return prev.getTime();
}

/** The next tick after `now`. */
export function nextTick(s: Pick<ScheduleV1, "cron" | "tz" | "every_ms" | "created_at">, now: number): number | undefined {
  if (s.every_ms) return s.created_at + (Math.floor(Math.max(0, now - s.created_at) / s.every_ms) + 1) * s.every_ms;
  if (!s.cron) return undefined;
  return new Cron(s.cron, { timezone: s.tz, paused: true }).nextRun(new Date(now))?.getTime();
}

/**
 * What a manager does with a schedule at `now`: fire tick `tick`, or nothing. The missed-tick policy:
 * only the latest tick is ever fired, and only while it is at most `catchUpMs` old; older ones that
 * passed while no manager ran are skipped (`skipped` counts them for the log). `lastFired` is this
 * manager's own memory; other managers' firings of the same tick are duplicates by job id.
 */
export function tickDecision(
  s: Pick<ScheduleV1, "cron" | "tz" | "every_ms" | "created_at">,
  now: number,
  lastFired: number | undefined,
  catchUpMs: number,
): { fire?: number; tooOld?: number } {
  const t = latestTick(s, now);
  if (t === undefined || (lastFired !== undefined && t <= lastFired)) return {};
  if (now - t > catchUpMs) return { tooOld: t };
  return { fire: t };
}

/** The id base of one tick's jobs: `sched-<name>-<tick ms>` (the duplicate window makes a second firing a no-op). */
export const tickId = (name: string, tick: number) => `sched-${name}-${tick}`;

/**
 * The job file of a schedule with the tick's ids put in: a job or batch or chain gets `"id": base`,
 * each job of an array `"id": base-<i>`.
 */
export function jobFileForTick(job: unknown, base: string): string {
  if (Array.isArray(job)) return JSON.stringify(job.map((j, i) => (j && typeof j === "object" ? { ...j, id: `${base}-${i}` } : j)));
  if (job && typeof job === "object") return JSON.stringify({ ...job, id: base });
  return JSON.stringify(job);
}
