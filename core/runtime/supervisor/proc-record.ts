// What a supervisor keeps about each proc slot: its state machine, its current child and what the child
// last said, and the views of it (the jobs it runs as far as known, its status line).
import { newProc, type ProcMachine } from "./proc-state.ts";
import type { ProcStats } from "./ipc.ts";
import type { SpawnedProc } from "./proc-spawn.ts";
import { UNRESPONSIVE_AFTER_MS } from "./watchdog.ts";
import type { JobFileReader } from "./job-file.ts";
import type { ProcStatus, SlotSpec } from "./supervisor-options.ts";

export interface ProcRecord {
  /** a pause waits for this proc to say its deliveries stopped ("held") */
  onHeld?: () => void;
  slot: SlotSpec;
  m: ProcMachine;
  child: SpawnedProc | null;
  timer: ReturnType<typeof setTimeout> | null;
  stats: ProcStats | null;
  /** jobs done by earlier children in this record (restarts, recycles) */
  doneBefore: number;
  failedBefore: number;
  /** stderr tail of the last child that exited (for the FATAL report) */
  lastTail?: string[];
  /** when the child last sent anything (its event loop was alive then) */
  heardAt: number;
  /** why the watchdog killed the current child */
  killedBy: string | null;
  /** children of this proc the watchdog killed, and why it killed the last one */
  watchdogKills?: number;
  lastKill?: string;
  /** jobs started since the child's last stats, as its job file tells (read while it is silent) */
  started: ProcStats["inFlight"];
  /** the child's job file (the jobs it has in flight) */
  jobFile: JobFileReader | null;
  /** when the child said its handlers' setup() began (timed by --setup-timeout) */
  setupSince?: number;
  /** the job whose handler was stuck past its signal (the child asked to be ended): the one charged */
  stuckJob?: string;
  /** whether status() last showed it unresponsive (a change is published at once) */
  silent?: boolean;
}

export function newRecord(slot: SlotSpec): ProcRecord {
  return { slot, m: newProc(), child: null, timer: null, stats: null, doneBefore: 0, failedBefore: 0, heardAt: Date.now(), killedBy: null, started: [], jobFile: null };
}

/** The jobs a proc runs as far as its supervisor knows: its last stats plus the starts it announced since. */
export function knownInFlight(r: ProcRecord): ProcStats["inFlight"] {
  const base = r.stats?.inFlight ?? [];
  return r.started.length ? [...base, ...r.started.filter((j) => !base.some((b) => b.id === j.id))] : base;
}

/** A live proc whose event loop has not answered for a while (the watchdog is timing it). */
export function isSilent(r: ProcRecord, now: number): boolean {
  return Boolean(r.child) && (r.m.state === "RUNNING" || r.m.state === "DRAINING") && now - r.heardAt > UNRESPONSIVE_AFTER_MS;
}

/**
 * The jobs the proc has in flight, from its job file, that its last message could not name (they
 * started after it): the one blocking a silent proc or that killed it, and those started with it.
 */
export function noteLastStarted(r: ProcRecord): void {
  if (!r.jobFile) return;
  const known = new Set(knownInFlight(r).map((j) => j.id));
  for (const j of r.jobFile.read()) {
    if (known.has(j.id)) continue;
    known.add(j.id);
    r.started.push(j);
  }
}

/** One proc as status() shows it. */
export function procStatus(r: ProcRecord, now: number): ProcStatus {
  return {
    name: r.slot.name,
    handler: r.slot.handler,
    pid: r.child?.pid ?? null,
    state: r.m.state,
    loop: isSilent(r, now) ? "unresponsive" : (r.stats?.state ?? null),
    restarts: r.m.restarts,
    watchdogKills: r.watchdogKills ?? 0,
    lastKill: r.lastKill ?? null,
    jobsDone: r.doneBefore + (r.stats?.jobsDone ?? 0),
    jobsFailed: r.failedBefore + (r.stats?.jobsFailed ?? 0),
    inFlight: (r.stats?.inFlight ?? []).map((j) => ({
      id: j.id,
      handler: j.handler,
      ageMs: Math.max(0, now - j.startedAt),
      batch: j.batch,
      attempt: j.attempt,
      startedAt: j.startedAt,
      progress: j.progress,
    })),
    startedAt: r.m.startedAt,
    lastExit: r.m.lastExit,
  };
}
