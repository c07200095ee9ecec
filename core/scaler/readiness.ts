// Whether a server is fleet capacity, decided from its worker's presence (not from what the cloud says),
// and when the manager should stop creating servers that never come up. Pure: no clock, no I/O.
import type { PresenceV1 } from "../runtime/protocol/control.ts";
import type { Server } from "./providers/types.ts";

/** A server's state as the manager counts it. */
export type ServerState = "booting" | "ready" | "draining" | "failed";

/** What the manager remembers about one server between ticks. */
export interface ServerMemory {
  /** when its worker was last seen registered (ms), undefined if never */
  lastSeenAt?: number;
}

/** Whether a presence entry is a worker able to take jobs: registered, and some proc pulling (or no procs reported). */
export function serving(p: PresenceV1 | undefined): boolean {
  if (!p || p.state === "draining" || p.state === "stopped") return false;
  return p.procs.length === 0 || p.procs.some((x) => x.loop === "running" || x.loop === "paused");
}

/**
 * The state of one server: ready once its worker serves; booting until then, for at most
 * `bootTimeoutMs` after its creation (or after its worker was last seen, when it went away);
 * failed after that, or when the provider says it never started.
 */
export function classifyServer(s: Server, worker: PresenceV1 | undefined, mem: ServerMemory, now: number, bootTimeoutMs: number): { state: ServerState; why: string } {
  if (serving(worker)) return { state: "ready", why: "its worker is registered" };
  if (s.state === "stuck") return { state: "failed", why: "the provider reports it never started (or it is off)" };
  const since = mem.lastSeenAt ?? s.createdAt;
  const waited = now - since;
  const what = mem.lastSeenAt === undefined ? "its worker has not registered" : "its worker went away";
  if (waited < bootTimeoutMs) return { state: "booting", why: `${what} yet (${Math.round(waited / 1000)}s)` };
  const present = worker ? ` (present as ${worker.state}, no proc pulling)` : "";
  return { state: "failed", why: `${what} within --boot-timeout ${Math.round(bootTimeoutMs / 1000)}s${present}` };
}

/** The streak of servers in a row whose worker never came up, and whether to stop creating. */
export interface BootStreak {
  failures: number;
  /** set once `failures` reached the limit: why creation stopped */
  halted: string | null;
}

export const initialBootStreak: BootStreak = { failures: 0, halted: null };

/**
 * Next streak after one tick: every server that failed to come up adds one, any worker that
 * registered for the first time clears it. At `limit` failures in a row creation halts with `diagnosis`.
 */
export function nextBootStreak(s: BootStreak, tick: { failed: number; registered: number }, limit: number, diagnosis: (failures: number) => string): BootStreak {
  if (tick.registered > 0) return { failures: 0, halted: null };
  const failures = s.failures + tick.failed;
  if (s.halted) return { failures, halted: s.halted };
  return { failures, halted: failures >= limit ? diagnosis(failures) : null };
}
