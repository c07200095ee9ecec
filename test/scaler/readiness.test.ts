// The pure readiness decisions: a server is capacity once its worker serves, and boot failures in a row stop creation.
import { expect, test } from "bun:test";
import { classifyServer, nextBootStreak, initialBootStreak, serving } from "../../core/scaler/readiness.ts";
import type { PresenceV1 } from "../../core/runtime/protocol/control.ts";
import type { Server } from "../../core/scaler/providers/types.ts";

const server: Server = { id: "1", name: "w-1", workerId: "do-1", state: "active", createdAt: 0 };
const presence = (procs: PresenceV1["procs"], state = "running"): PresenceV1 =>
  ({ v: 1, id: "do-1", host: "h", pid: 1, version: "0", started_at: 0, updated_at: 0, state, in_flight: 0, procs, labels: {} }) satisfies PresenceV1;
const proc = (loop: string | null) => ({ name: "p1", handler: null, pid: 2, state: "RUNNING", loop, restarts: 0, jobs_done: 0, jobs_failed: 0, in_flight: [], started_at: 0, last_exit: null });

test("active in the cloud is not ready: the worker must have registered with a proc pulling", () => {
  expect(classifyServer(server, undefined, {}, 1000, 60_000).state).toBe("booting");
  expect(classifyServer(server, presence([proc(null)]), {}, 1000, 60_000).state).toBe("booting");
  expect(classifyServer(server, presence([proc("running")]), {}, 1000, 60_000).state).toBe("ready");
  expect(serving(presence([proc("running")], "draining"))).toBe(false);
});

test("no registration within the boot timeout fails the server; a worker that went away gets the same time to return", () => {
  const f = classifyServer(server, undefined, {}, 61_000, 60_000);
  expect(f.state).toBe("failed");
  expect(f.why).toContain("--boot-timeout 60s");
  expect(classifyServer(server, undefined, { lastSeenAt: 50_000 }, 100_000, 60_000).state).toBe("booting");
  expect(classifyServer(server, undefined, { lastSeenAt: 50_000 }, 111_000, 60_000).why).toContain("went away");
  expect(classifyServer({ ...server, state: "stuck" }, undefined, {}, 1, 60_000).state).toBe("failed");
});

test("failures in a row halt creation with the diagnosis; a registration clears the streak", () => {
  let s = nextBootStreak(initialBootStreak, { failed: 2, registered: 0 }, 3, (n) => `halt after ${n}`);
  expect(s.halted).toBeNull();
  s = nextBootStreak(s, { failed: 1, registered: 0 }, 3, (n) => `halt after ${n}`);
  expect(s.halted).toBe("halt after 3");
  s = nextBootStreak(s, { failed: 1, registered: 0 }, 3, (n) => `halt after ${n}`);
  expect(s.halted).toBe("halt after 3");
  expect(nextBootStreak(s, { failed: 0, registered: 1 }, 3, () => "x")).toEqual({ failures: 0, halted: null });
});
