// A schedule's timing, pure: checking a cron expression and time zone (croner), the Nats-Schedule
// headers the server fires it with, and when it next runs.
import { Cron } from "croner";
import type { ScheduleV1 } from "../protocol/jobcontrol.ts";

/** Why a cron expression or time zone is unusable, or undefined. */
export function cronProblem(expr: string, tz?: string): string | undefined {
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
    } catch {
      // RangeError: not a time zone Intl knows, said with what to give
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

/** The server takes 6 fields (seconds first): a 5-field expression fires at second 0. */
export const serverCron = (expr: string) => (expr.trim().split(/\s+/).length === 5 ? `0 ${expr.trim()}` : expr.trim());

/** `@every` in the server's (Go) duration syntax: `90s`, `1500ms`. */
export const serverEvery = (ms: number) => (ms % 1000 === 0 ? `@every ${ms / 1000}s` : `@every ${ms}ms`);

/** The headers of a schedule message that fires into `target`. */
export function scheduleHeaders(s: Pick<ScheduleV1, "cron" | "tz" | "every_ms">, target: string): Record<string, string> {
  const h: Record<string, string> = { "Nats-Schedule": s.cron ? serverCron(s.cron) : serverEvery(s.every_ms!), "Nats-Schedule-Target": target };
  if (s.cron && s.tz) h["Nats-Schedule-Time-Zone"] = s.tz;
  return h;
}

/**
 * The next run after `now`. Cron: exact (croner, in the time zone). `--every`: the server counts from when
 * the schedule message was stored (`created_at`, again at a resume) in whole seconds, so this is within a
 * second of it; `lastTick` (a run a worker recorded) makes it exact after a server restart.
 */
export function nextTick(s: Pick<ScheduleV1, "cron" | "tz" | "every_ms" | "created_at">, now: number, lastTick?: number): number | undefined {
  if (s.every_ms) {
    const from = lastTick !== undefined && lastTick > s.created_at ? lastTick : s.created_at;
    return from + (Math.floor(Math.max(0, now - from) / s.every_ms) + 1) * s.every_ms;
  }
  if (!s.cron) return undefined;
  return new Cron(s.cron, { timezone: s.tz, paused: true }).nextRun(new Date(now))?.getTime();
}

/**
 * The job file of a schedule with its base ids put in (the worker adds the tick to them, protocol/ticks.ts):
 * a job or batch or chain gets `"id": base`, each job of an array `"id": base-<i>`.
 */
export function jobFileForTick(job: unknown, base: string): string {
  if (Array.isArray(job)) return JSON.stringify(job.map((j, i) => (j && typeof j === "object" ? { ...j, id: `${base}-${i}` } : j)));
  if (job && typeof job === "object") return JSON.stringify({ ...job, id: base });
  return JSON.stringify(job);
}
