// The messages a worker proc and its supervisor exchange over Bun's IPC channel (JSON serialization).

import type { InFlightJob } from "../worker/loop.ts";

/** What a proc reports about its event loop (the lead's LoopStats, plus the in-flight jobs). */
export interface ProcStats {
  state: "starting" | "running" | "paused" | "draining" | "stopped";
  jobsDone: number;
  jobsFailed: number;
  /** `timeoutMs`, `reply` (the delivery's ack subject) and the attempt let the watchdog hold, time and hand back a stalled proc's jobs */
  inFlight: InFlightJob[];
}

/** child → parent */
export type ChildMessage =
  /** connected, handlers loaded, pulling (or about to) */
  | { t: "ready"; pid: number; handlers: string[] }
  /** sent every `statsIntervalMs` and after every pause/resume/drain */
  | { t: "stats"; stats: ProcStats }
  /** reached --max-jobs or --max-lifetime: finishing in-flight jobs, then exiting; replace me at once */
  | { t: "recycle"; reason: string }
  /** about to run the handlers' setup(): the supervisor times it (--setup-timeout) */
  | { t: "setup" }
  /** a handler kept running past the grace after its TIMEOUT or CANCELLED: end this proc (SIGKILL), hand its other jobs back uncharged */
  | { t: "stuck"; id: string; reason: string }
  /** after a pause: deliveries have stopped (the server confirmed), jobs fetched ahead were handed back */
  | { t: "held" };

/** parent → child */
export type ParentMessage = { t: "pause" } | { t: "resume" } | { t: "drain" };

/** A proc sends its stats at least this often, ms (and at once when its state or in-flight jobs change). */
export const STATS_INTERVAL_MS = 1000;

/** The exit code of a proc that exits to be recycled (so a lost IPC notice still reads as planned). */
export const RECYCLE_EXIT_CODE = 75;

/** Narrows an incoming IPC message; anything else (a foreign sender, a newer version) is ignored. */
export function isChildMessage(m: unknown): m is ChildMessage {
  if (!m || typeof m !== "object") return false;
  const t = (m as { t?: unknown }).t;
  return t === "ready" || t === "stats" || t === "recycle" || t === "setup" || t === "stuck" || t === "held";
}

export function isParentMessage(m: unknown): m is ParentMessage {
  if (!m || typeof m !== "object") return false;
  const t = (m as { t?: unknown }).t;
  return t === "pause" || t === "resume" || t === "drain";
}
