// The watchdog's decisions, pure: whether a proc that has not reported for a while is to be held
// (its jobs kept alive with in-progress acks), killed, or left alone; and, when a proc ended with jobs
// in flight, which of them that ending is charged to.
import type { ProcStats } from "./ipc.ts";

type InFlight = ProcStats["inFlight"][number];

export interface WatchdogPolicy {
  /** silence allowed beyond the running job's time limit before the proc is killed, ms */
  graceMs: number;
  /** the limit used when no job is in flight (a loop blocked between jobs), ms */
  idleLimitMs: number;
  /** silence after which the supervisor holds the proc's jobs (in-progress acks), so JetStream does not hand them to another proc meanwhile, ms */
  holdAfterMs: number;
  /** how long the handlers' setup() may take (--setup-timeout), ms; a proc past it (plus the grace) is killed like a crash */
  setupTimeoutMs?: number;
}

export const watchdogDefaults: WatchdogPolicy = { graceMs: 5_000, idleLimitMs: 60_000, holdAfterMs: 1_000, setupTimeoutMs: 60_000 };

/** A live proc silent this long is shown `unresponsive` (a healthy one reports every 1-1.25 s, so no flapping). */
export const UNRESPONSIVE_AFTER_MS = 2_500;

export type WatchdogVerdict =
  | { action: "ok" }
  | { action: "hold"; silentMs: number }
  | { action: "kill"; silentMs: number; limitMs: number; reason: string };

/**
 * A proc reports from its event loop at least every second, and names each job as its handler starts.
 * A job's own timer ends it at its limit, unless the event loop is blocked (a handler spinning
 * synchronously, a native call that never returns): then nothing answers. So a proc silent for more
 * than the grace, with a job whose limit passed during the silence by more than the grace, is stuck:
 * kill it. A proc silent for the idle limit plus the grace is stuck whatever it runs.
 */
export function watchdogVerdict(now: number, lastHeardAt: number, inFlight: readonly InFlight[], p: WatchdogPolicy = watchdogDefaults): WatchdogVerdict {
  const silentMs = Math.max(0, now - lastHeardAt);
  const deadline = (j: InFlight) => j.startedAt + (j.timeoutMs ?? p.idleLimitMs);
  // the limit passed while the loop was silent (had it answered after it, the job's own timer would have fired)
  const overdue = inFlight.filter((j) => deadline(j) > lastHeardAt && now > deadline(j) + p.graceMs);
  const describe = (limitMs: number, jobs: string) =>
    `its event loop did not answer for ${(silentMs / 1000).toFixed(1)}s ${jobs} (limit ${limitMs}ms + grace ${p.graceMs}ms)`;
  if (silentMs > p.graceMs && overdue.length) {
    const limitMs = Math.min(...overdue.map((j) => j.timeoutMs ?? p.idleLimitMs));
    return { action: "kill", silentMs, limitMs, reason: describe(limitMs, `while running ${overdue.map((j) => `${j.handler}/${j.id}`).join(", ")}`) };
  }
  if (silentMs > p.idleLimitMs + p.graceMs) {
    const jobs = inFlight.length ? `while running ${inFlight.map((j) => `${j.handler}/${j.id}`).join(", ")}` : "with no job in flight";
    return { action: "kill", silentMs, limitMs: p.idleLimitMs, reason: describe(p.idleLimitMs, jobs) };
  }
  if (silentMs > p.holdAfterMs && inFlight.length) return { action: "hold", silentMs };
  return { action: "ok" };
}

export type EndCause = "watchdog" | "crash" | "neighbour" | "stopped";

/** How handed-back jobs are spread out again. */
export interface HandBackPolicy {
  /** how long the suspect of a dead proc (the job charged, or else the one started last) comes back after the others, ms: jobs that died together must not all land in the next proc together */
  spacingMs: number;
  /** a job charged with the end of its proc comes back no sooner than this, ms: the replacement proc is past its start window by then, so a job that kills every proc is charged, not counted as a fast death */
  chargedMinMs: number;
}

export const handBackDefaults: HandBackPolicy = { spacingMs: 5_000, chargedMinMs: 3_000 };

/**
 * The redelivery delay of each handed-back job (same order as `fates`). The bystanders come back at
 * once; the suspects `spacingMs` later: the jobs charged with the proc's end, or, when none is (a
 * crash with several jobs in flight), the one started last (a job that kills its proc tends to do so
 * soon after it starts). A crasher then comes back alone and is charged, instead of taking its
 * neighbours down again; a charged job waits at least `chargedMinMs`, past the replacement proc's
 * start window, so a job that kills every proc is counted as such, not as fast deaths.
 */
export function handBackDelays(fates: readonly JobFate[], p: HandBackPolicy = handBackDefaults): number[] {
  const anyCharged = fates.some((f) => f.charged);
  const latest = fates.reduce((m, f, i) => (m < 0 || f.job.startedAt > fates[m]!.job.startedAt ? i : m), -1);
  return fates.map((f, i) => {
    const suspect = anyCharged ? f.charged : fates.length > 1 && i === latest;
    return suspect ? Math.max(p.spacingMs, f.charged ? p.chargedMinMs : 0) : 0;
  });
}

/** Who pays for a proc that ended with jobs in flight. */
export interface JobFate {
  job: InFlight;
  cause: EndCause;
  /** counts as one of the job's attempts */
  charged: boolean;
}

/**
 * How a proc's end is charged to the jobs it had in flight. Watchdog: the jobs past their own limit
 * caused it (all of them if none is, being unable to tell); a crash with one job in flight: that job;
 * a crash with several: no one can tell which, so none is charged (the notes' cap bounds a crasher);
 * a proc stopped by force (drain timeout, a second signal): every job, as before (the note says why).
 */
export function jobFates(how: { kind: "watchdog" | "crash" | "stopped"; now: number }, inFlight: readonly InFlight[]): JobFate[] {
  // A forced stop (drain timeout, a second signal) cut the attempt short: it counts, as it always has
  // (a handler may rely on ctx.attempt to resume), but its note says so.
  if (how.kind === "stopped") return inFlight.map((job) => ({ job, cause: "stopped", charged: true }));
  if (how.kind === "crash") {
    if (inFlight.length === 1) return [{ job: inFlight[0]!, cause: "crash", charged: true }];
    return inFlight.map((job) => ({ job, cause: "neighbour", charged: false }));
  }
  const late = (j: InFlight) => j.timeoutMs !== undefined && how.now - j.startedAt > j.timeoutMs;
  const anyLate = inFlight.some(late);
  return inFlight.map((job) => (late(job) || !anyLate ? { job, cause: "watchdog", charged: true } : { job, cause: "neighbour", charged: false }));
}
