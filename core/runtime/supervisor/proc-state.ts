// The life of one supervised proc as a pure state machine: an event and the time go in, the new
// state and the actions the supervisor must take come out. No clock, no processes, no timers here.
import { backoffDelay, procRestartBackoff, type Backoff } from "../util/backoff.ts";

/**
 * STARTING: spawned, not ready yet. RUNNING: ready, pulling jobs. DRAINING: finishing in-flight jobs
 * before it exits (asked to stop, being replaced, or recycling itself). BACKOFF: died, waiting to be
 * restarted. FATAL: died fast too often, left alone until asked (`docctl resume`, SIGHUP). STOPPED: exited
 * on purpose and not coming back. An exit is decided at once (BACKOFF, FATAL, STARTING or STOPPED), so
 * there is no lasting "exited" state: `lastExit` keeps what happened.
 */
export type ProcState = "STARTING" | "RUNNING" | "DRAINING" | "BACKOFF" | "FATAL" | "STOPPED";

/** When a proc counts as dying fast, and what happens then. */
export interface ProcPolicy {
  /** a proc that exits before it is ready, or less than this long after it was spawned, died fast, ms */
  startWindowMs: number;
  /** consecutive fast deaths tolerated; one more marks the proc FATAL */
  maxFastRestarts: number;
  /** a run at least this long resets the backoff to its first step, ms */
  stableMs: number;
  backoff: Backoff;
}

export const procPolicyDefaults: ProcPolicy = {
  startWindowMs: 2_000,
  maxFastRestarts: 3,
  stableMs: 30_000,
  backoff: procRestartBackoff,
};

/** Why a proc is expected to exit: stop = supervisor shutting down, retire = replaced by a new proc, recycle = max jobs/lifetime. */
export type ExitIntent = "none" | "stop" | "retire" | "recycle";

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
  /** how long it had run, ms */
  ranMs: number;
  /** an unplanned exit that counted as a fast death */
  fast: boolean;
  /** whether it was planned (stop, retire, recycle) or a crash */
  planned: boolean;
}

export interface ProcMachine {
  state: ProcState;
  intent: ExitIntent;
  /** when the current (or last) child was spawned */
  startedAt: number | null;
  /** when the current child said it was ready */
  readyAt: number | null;
  /** consecutive fast deaths */
  fastFailures: number;
  /** next backoff step */
  backoffAttempt: number;
  /** children spawned after the first */
  restarts: number;
  /** when a proc in BACKOFF will be restarted */
  retryAt: number | null;
  lastExit: ExitInfo | null;
}

export type ProcEvent =
  /** the supervisor wants it running: first start, or `resume` of a FATAL/STOPPED proc */
  | { type: "start"; now: number }
  /** the child said it is ready */
  | { type: "ready"; now: number }
  /** the child said it reached --max-jobs/--max-lifetime and is finishing before it exits */
  | { type: "recycle"; now: number }
  /** the supervisor asks it to finish its jobs and exit, for good (stop) or to be replaced (retire) */
  | { type: "drain"; now: number; intent: "stop" | "retire" }
  /** the child exited; `random` in [0,1) feeds the backoff jitter */
  | { type: "exit"; now: number; code: number | null; signal: string | null; random: number }
  /** the backoff delay has passed */
  | { type: "timer"; now: number };

export type ProcAction =
  | { type: "spawn" }
  | { type: "sendDrain" }
  | { type: "schedule"; delayMs: number }
  | { type: "cancelTimer" }
  | { type: "fatal"; reason: string }
  | { type: "removed" };

export interface Transition {
  machine: ProcMachine;
  actions: ProcAction[];
}

/** A proc that has never run. */
export function newProc(): ProcMachine {
  return {
    state: "STOPPED",
    intent: "none",
    startedAt: null,
    readyAt: null,
    fastFailures: 0,
    backoffAttempt: 0,
    restarts: 0,
    retryAt: null,
    lastExit: null,
  };
}

/** Apply one event. Returns a new machine (the input is not changed) and what to do. */
export function transition(m: ProcMachine, ev: ProcEvent, policy: ProcPolicy = procPolicyDefaults): Transition {
  const next: ProcMachine = { ...m };
  const spawn = (): Transition => {
    if (m.startedAt !== null) next.restarts = m.restarts + 1;
    next.state = "STARTING";
    next.intent = "none";
    next.startedAt = ev.now;
    next.readyAt = null;
    next.retryAt = null;
    return { machine: next, actions: [{ type: "spawn" }] };
  };
  const same: Transition = { machine: m, actions: [] };

  switch (ev.type) {
    case "start": {
      if (m.state === "FATAL" || m.state === "STOPPED") {
        next.fastFailures = 0;
        next.backoffAttempt = 0;
        return spawn();
      }
      if (m.state === "BACKOFF") {
        // Asked to run now: skip the rest of the wait.
        const t = spawn();
        return { machine: t.machine, actions: [{ type: "cancelTimer" }, ...t.actions] };
      }
      return same;
    }
    case "ready": {
      if (m.state !== "STARTING" && m.state !== "DRAINING") return same;
      next.readyAt = ev.now;
      if (m.state === "STARTING") next.state = "RUNNING";
      return { machine: next, actions: [] };
    }
    case "recycle": {
      if (m.state !== "RUNNING" && m.state !== "STARTING") return same;
      next.state = "DRAINING";
      next.intent = "recycle";
      return { machine: next, actions: [] };
    }
    case "drain": {
      switch (m.state) {
        case "STARTING":
        case "RUNNING":
        case "DRAINING":
          next.state = "DRAINING";
          // "stop" wins over "retire"/"recycle": a proc asked to stop must not be respawned.
          next.intent = m.intent === "stop" ? "stop" : ev.intent;
          return { machine: next, actions: [{ type: "sendDrain" }] };
        case "BACKOFF":
          next.state = "STOPPED";
          next.retryAt = null;
          return { machine: next, actions: [{ type: "cancelTimer" }, { type: "removed" }] };
        case "FATAL":
          // Nothing runs: a FATAL proc that is stopped or replaced just goes away.
          next.state = "STOPPED";
          return { machine: next, actions: [{ type: "removed" }] };
        default:
          return same;
      }
    }
    case "exit": {
      if (m.state === "STOPPED" || m.state === "FATAL" || m.state === "BACKOFF") return same;
      const ranMs = m.startedAt === null ? 0 : Math.max(0, ev.now - m.startedAt);
      const planned = m.intent !== "none";
      const fast = !planned && (m.readyAt === null || ranMs < policy.startWindowMs);
      next.lastExit = { code: ev.code, signal: ev.signal, at: ev.now, ranMs, fast, planned };
      next.readyAt = null;
      if (m.intent === "stop" || m.intent === "retire") {
        next.state = "STOPPED";
        next.intent = "none";
        return { machine: next, actions: [{ type: "removed" }] };
      }
      if (m.intent === "recycle") {
        // A recycle is the proc doing its job: replace it at once and forget earlier failures.
        next.fastFailures = 0;
        next.backoffAttempt = 0;
        return spawn();
      }
      next.intent = "none";
      next.fastFailures = fast ? m.fastFailures + 1 : 0;
      if (ranMs >= policy.stableMs) next.backoffAttempt = 0;
      if (next.fastFailures > policy.maxFastRestarts) {
        next.state = "FATAL";
        next.retryAt = null;
        return {
          machine: next,
          actions: [{ type: "fatal", reason: `died ${next.fastFailures} times in a row before it was ready or within ${policy.startWindowMs}ms of its start` }],
        };
      }
      const delayMs = backoffDelay(next.backoffAttempt, policy.backoff, ev.random);
      next.backoffAttempt = next.backoffAttempt + 1;
      next.state = "BACKOFF";
      next.retryAt = ev.now + delayMs;
      return { machine: next, actions: [{ type: "schedule", delayMs }] };
    }
    case "timer": {
      if (m.state !== "BACKOFF") return same;
      return spawn();
    }
  }
}
