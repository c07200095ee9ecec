// The watchdog's effects: a proc reports from its event loop at least every second; one silent past its
// running job's limit plus the grace is stuck in synchronous work and is killed (its jobs are held
// meanwhile, and handed back when it is gone, see hand-back.ts). The verdict itself is watchdog.ts's.
import { watchdogVerdict, type WatchdogPolicy } from "./watchdog.ts";
import type { JobKeeper } from "./job-keeper.ts";
import { isSilent, knownInFlight, noteLastStarted, type ProcRecord } from "./proc-record.ts";
import type { Logger } from "../protocol/logger.ts";

/** One look at every proc; true when a proc turned unresponsive or answers again (status changed). */
export function watchProcs(recs: ProcRecord[], now: number, o: { watchdog: WatchdogPolicy; keeper?: JobKeeper; log: Logger }): boolean {
  let changed = false;
  for (const r of recs) {
    const silent = isSilent(r, now);
    if (silent !== Boolean(r.silent)) {
      r.silent = silent;
      changed = true; // presence shows it unresponsive (or answering again) now, not at the next refresh
    }
    // A setup() that never returns (a busy loop blocks the proc's own timer): ended like a crash, so
    // the proc goes to backoff and, if it keeps doing it, FATAL. Timed from the proc's "setup" notice,
    // so a proc still waiting for NATS is not counted.
    const setupMs = o.watchdog.setupTimeoutMs ?? 60_000;
    if (r.child && !r.killedBy && r.m.state === "STARTING" && r.setupSince !== undefined && now - r.setupSince > setupMs + o.watchdog.graceMs) {
      r.killedBy = `its handlers' setup() did not finish within ${setupMs}ms (--setup-timeout)`;
      o.log.error(`${r.slot.name} (pid ${r.child.pid}) ${r.killedBy}: killed (SIGKILL); it is restarted with backoff like a crash`);
      r.child.kill("SIGKILL");
      continue;
    }
    if (!r.child || r.killedBy || (r.m.state !== "RUNNING" && r.m.state !== "DRAINING")) continue;
    // Silent: the job it started last (maybe after its last stats: the one blocking it) is in its file.
    // Read on every look while silent, not once per silence: a healthy proc reports every 1-1.25 s, so
    // the hold threshold (1 s) is crossed briefly in most stats cycles; a job that starts (and blocks
    // the loop) just after such a read would otherwise stay unknown, neither held nor timed, and
    // JetStream would hand it to another proc at the ack wait while it still ran.
    if (now - r.heardAt > o.watchdog.holdAfterMs && r.jobFile) noteLastStarted(r);
    const inFlight = knownInFlight(r);
    const v = watchdogVerdict(now, r.heardAt, inFlight, o.watchdog);
    if (v.action === "hold") o.keeper?.hold(inFlight);
    else if (v.action === "kill") {
      r.killedBy = v.reason;
      r.watchdogKills = (r.watchdogKills ?? 0) + 1;
      r.lastKill = v.reason;
      o.log.error(`${r.slot.name} (pid ${r.child.pid}) is stuck: ${v.reason}. The watchdog kills it (SIGKILL) and starts a new one.`);
      r.child.kill("SIGKILL");
    }
  }
  return changed;
}
