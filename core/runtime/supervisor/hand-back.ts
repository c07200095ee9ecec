// A proc gone with jobs in flight (a watchdog kill, a crash, a forced stop): how each attempt ended is
// noted and the jobs are handed back at once. A clean exit has finished its jobs: nothing to do.
import { RECYCLE_EXIT_CODE } from "./ipc.ts";
import { jobFates } from "./watchdog.ts";
import type { JobKeeper } from "./job-keeper.ts";
import { knownInFlight, noteLastStarted, type ProcRecord } from "./proc-record.ts";
import type { Logger } from "../protocol/logger.ts";

/** The hand-back under way (it never rejects), or undefined when there is nothing to hand back. */
export function handBack(r: ProcRecord, exit: { pid: number; code: number | null; signal: string | null }, o: { keeper?: JobKeeper; log: Logger }): Promise<void> | undefined {
  const { pid, code, signal } = exit;
  // a job that killed its proc right after it started may not be in the last stats yet
  noteLastStarted(r);
  const inFlight = knownInFlight(r);
  r.started = [];
  if (!o.keeper) return undefined;
  const planned = r.m.intent !== "none";
  if (!r.killedBy && (code === 0 || code === RECYCLE_EXIT_CODE) && !signal) return undefined;
  // Its fleet-wide concurrency slots are freed now: they would block other workers' jobs until their
  // TTL (60 s) ran out. Before the jobs are handed back, so they find a slot.
  const slots = o.keeper.releaseSlots?.(pid).then(
    (keys) => void (keys.length && o.log.warn(`${r.slot.name}: released ${keys.length} fleet-wide limit slot(s) held by pid ${pid} (${keys.join(", ")})`)),
    (err) => o.log.warn(`${r.slot.name}: could not release its limit slots (they expire in 60 s): ${(err as Error).message}`),
  );
  if (!inFlight.length) return slots;
  const kind = r.killedBy ? "watchdog" : planned ? "stopped" : "crash";
  // a stuck handler (the proc asked to be ended): that job is charged, the others are its neighbours
  const fates = r.stuckJob
    ? inFlight.map((job) => (job.id === r.stuckJob ? { job, cause: "watchdog" as const, charged: true } : { job, cause: "neighbour" as const, charged: false }))
    : jobFates({ kind, now: Date.now() }, inFlight);
  const how = r.killedBy ?? (signal ? `signal ${signal}` : `exit code ${code}`);
  const culprits = fates.filter((f) => f.charged).map((f) => `${f.job.handler}/${f.job.id}`).join(", ") || "another job";
  const keeper = o.keeper;
  return Promise.resolve(slots)
    .then(() => keeper.handBack(fates, { proc: r.slot.name, pid, how, culprits }))
    .catch((err) => {
      o.log.warn(`${r.slot.name}: could not hand back its jobs (JetStream redelivers them after the ack wait): ${(err as Error).message}`);
    });
}
