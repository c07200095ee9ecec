// What a supervisor is given (slots, options, defaults) and what it reports (its status and its procs').
import { procPolicyDefaults, type ExitInfo, type ProcPolicy, type ProcState } from "./proc-state.ts";
import type { ProcStats } from "./ipc.ts";
import { watchdogDefaults, type WatchdogPolicy } from "./watchdog.ts";
import type { JobKeeper } from "./job-keeper.ts";
import type { JobProgressV1 } from "../protocol/control.ts";
import type { Logger } from "../protocol/logger.ts";

/** One place a proc runs in: general (serves every handler) or dedicated to one handler. */
export interface SlotSpec {
  /** `proc-1` for general procs, `<handler>-1` for dedicated ones */
  name: string;
  /** only this handler, or null for all the worker serves */
  handler: string | null;
}

export interface SupervisorOptions {
  /** general procs (serving every handler) */
  procs: number;
  /** handler → number of procs that serve only it */
  dedicated: Record<string, number>;
  /** the argv of the proc for `slot` */
  command(slot: SlotSpec): string[];
  /** extra environment for the proc of `slot` */
  env?(slot: SlotSpec): Record<string, string | undefined>;
  /** fast-death, FATAL and backoff rules */
  policy: ProcPolicy;
  /** after a drain is asked, procs still running this long are killed with SIGKILL, ms */
  drainTimeoutMs: number;
  /** during a rollover, how long a new proc may take to be ready before the rollover is abandoned, ms */
  readyTimeoutMs: number;
  /** copy the procs' stdout/stderr to ours */
  forwardOutput: boolean;
  /** stderr lines quoted when a proc goes FATAL */
  stderrTailLines: number;
  log: Logger;
  /** the worker id, for the commands quoted in messages (`docctl resume <id>`) */
  workerId?: string;
  /** called after anything in the status changed (presence refresh hooks here) */
  onChange?(): void;
  /** when a proc that stops answering is killed (watchdog) */
  watchdog: WatchdogPolicy;
  /** holds a stalled proc's jobs and hands back those of a proc that ended with jobs in flight (NATS side) */
  keeper?: JobKeeper;
  /** every proc is FATAL: nothing can serve (the worker exits, so an init system or the manager sees it) */
  onAllFatal?(report: string): void;
}

export const supervisorDefaults: Omit<SupervisorOptions, "command" | "log"> = {
  procs: 1,
  dedicated: {},
  policy: procPolicyDefaults,
  drainTimeoutMs: 30_000,
  readyTimeoutMs: 60_000,
  forwardOutput: true,
  stderrTailLines: 20,
  watchdog: watchdogDefaults,
};

export interface ProcStatus {
  name: string;
  handler: string | null;
  pid: number | null;
  state: ProcState;
  /** the proc's event-loop state as it last reported it */
  /** "unresponsive" while a live proc's event loop has not answered for a while (the watchdog is timing it) */
  loop: ProcStats["state"] | "unresponsive" | null;
  restarts: number;
  /** children the watchdog killed, and why it killed the last one */
  watchdogKills?: number;
  lastKill?: string | null;
  jobsDone: number;
  jobsFailed: number;
  inFlight: { id: string; handler: string; ageMs: number; batch?: string; attempt?: number; startedAt?: number; progress?: JobProgressV1 }[];
  startedAt: number | null;
  lastExit: ExitInfo | null;
}

export type SupervisorState = "idle" | "running" | "paused" | "draining" | "stopped";

export interface SupervisorStatus {
  state: SupervisorState;
  procs: ProcStatus[];
}

/** Expands `procs` and `dedicated` into the list of slots. */
export function slotsFor(procs: number, dedicated: Record<string, number>): SlotSpec[] {
  const out: SlotSpec[] = [];
  for (let i = 1; i <= procs; i++) out.push({ name: `proc-${i}`, handler: null });
  for (const [handler, n] of Object.entries(dedicated)) for (let i = 1; i <= n; i++) out.push({ name: `${handler}-${i}`, handler });
  return out;
}
