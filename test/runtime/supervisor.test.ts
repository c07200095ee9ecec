import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Supervisor, slotsFor, type SupervisorOptions } from "../../core/runtime/supervisor/supervisor.ts";
import { procPolicyDefaults } from "../../core/runtime/supervisor/proc-state.ts";
import { captureLogger } from "../helpers/log.ts";

const FAKE = join(import.meta.dir, "../fixtures/fake-proc.ts");
const log = captureLogger({ show: (e) => (e.level === "error" || e.level === "warn" ? `${e.level.toUpperCase()} ${e.msg}` : e.msg) });
const lines = log.lines;
let sup: Supervisor | null = null;

function make(env: Record<string, string>, o: Partial<SupervisorOptions> = {}): Supervisor {
  sup = new Supervisor({
    procs: 2,
    command: () => [process.execPath, FAKE],
    env: () => env,
    forwardOutput: false,
    log,
    policy: { ...procPolicyDefaults, startWindowMs: 1000, maxFastRestarts: 2 },
    ...o,
  });
  sup.start();
  return sup;
}
const allRunning = (s: Supervisor) => () => s.status().procs.every((p) => p.state === "RUNNING" && p.loop !== null);

afterEach(async () => {
  if (sup) {
    sup.kill();
    await sup.stopped();
  }
  sup = null;
  lines.length = 0;
});

describe("supervisor", () => {
  test("slots: general procs plus the dedicated ones, named after their handler", () => {
    expect(slotsFor(2, { pdf: 2, title: 1 }).map((s) => `${s.name}:${s.handler ?? "*"}`)).toEqual([
      "proc-1:*", "proc-2:*", "pdf-1:pdf", "pdf-2:pdf", "title-1:title",
    ]);
  });

  test("a SIGKILLed proc is replaced by a new pid; the other is not disturbed", async () => {
    const s = make({}, { dedicated: { pdf: 1 } });
    expect(await s.waitFor(allRunning(s), 10_000)).toBe(true);
    const [p1, p2, pdf] = s.status().procs;
    expect(pdf!.handler).toBe("pdf");
    process.kill(p1!.pid!, "SIGKILL");
    expect(await s.waitFor(() => { const p = s.status().procs[0]!; return p.state === "RUNNING" && p.pid !== p1!.pid; }, 5000)).toBe(true);
    const after = s.status().procs;
    expect(after[0]!.restarts).toBe(1);
    expect(after[0]!.lastExit).toMatchObject({ signal: "SIGKILL", planned: false });
    expect(after[1]!.pid).toBe(p2!.pid);
    expect(after[1]!.restarts).toBe(0);
  });

  test("a proc that crashes at start goes FATAL with its stderr reported; the others keep running", async () => {
    const s = make({ FAKE_CRASH: "proc-2" });
    expect(await s.waitFor(() => s.status().procs[1]!.state === "FATAL", 10_000)).toBe(true);
    const [p1, p2] = s.status().procs;
    expect(p1!.state).toBe("RUNNING");
    expect(p1!.restarts).toBe(0);
    expect(p2!.restarts).toBe(2);
    const fatal = lines.find((l) => l.startsWith("ERROR proc-2 is FATAL"));
    expect(fatal).toContain("last: exit code 3");
    expect(fatal).toContain("loading plugin broken.ts failed");
    // resume gives it another go (it fails again, of course)
    s.resume();
    expect(s.status().procs[1]!.state).toBe("STARTING");
    expect(await s.waitFor(() => s.status().procs[1]!.state === "FATAL", 10_000)).toBe(true);
  });

  test("pause and resume reach every proc", async () => {
    const s = make({});
    expect(await s.waitFor(allRunning(s), 10_000)).toBe(true);
    s.pause();
    expect(await s.waitFor(() => s.status().procs.every((p) => p.loop === "paused"), 5000)).toBe(true);
    expect(s.status().state).toBe("paused");
    s.resume();
    expect(await s.waitFor(() => s.status().procs.every((p) => p.loop === "running"), 5000)).toBe(true);
  });

  test("a proc that recycles itself is replaced at once and not counted as a crash", async () => {
    const s = make({ FAKE_MAX_JOBS: "3" }, { procs: 1 });
    expect(await s.waitFor(() => s.status().procs[0]!.restarts >= 2, 10_000)).toBe(true);
    const p = s.status().procs[0]!;
    expect(p.lastExit).toMatchObject({ code: 75, planned: true });
    expect(p.state).not.toBe("FATAL");
    expect(p.jobsDone).toBeGreaterThanOrEqual(6);
    expect(lines.some((l) => l.startsWith("WARN"))).toBe(false);
  });

  test("drain waits for in-flight work, then every proc is gone", async () => {
    const s = make({ FAKE_DRAIN_MS: "300" });
    expect(await s.waitFor(allRunning(s), 10_000)).toBe(true);
    const pids = s.status().procs.map((p) => p.pid!);
    await s.drain();
    expect(s.status()).toEqual({ state: "stopped", procs: [] });
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });

  test("procs still busy after the drain timeout are SIGKILLed", async () => {
    const s = make({ FAKE_IGNORE_DRAIN: "*" }, { drainTimeoutMs: 500, procs: 1 });
    expect(await s.waitFor(allRunning(s), 10_000)).toBe(true);
    await s.drain();
    expect(s.status().procs).toEqual([]);
    expect(lines.some((l) => l.includes("SIGKILL; JetStream redelivers its jobs"))).toBe(true);
  });

  test("a rollover whose new proc cannot start stops, and the old procs keep serving", async () => {
    let broken = false;
    const s = make({}, { procs: 2, env: () => (broken ? { FAKE_CRASH: "*" } : {}) });
    expect(await s.waitFor(allRunning(s), 10_000)).toBe(true);
    const before = s.status().procs.map((p) => p.pid);
    broken = true; // the new code fails at load
    await s.rollover("test");
    const after = s.status().procs;
    expect(after.map((p) => p.pid)).toEqual(before);
    expect(after.every((p) => p.state === "RUNNING")).toBe(true);
    expect(lines.some((l) => l.startsWith("ERROR rollover stopped: the new proc-1 did not get ready (FATAL)"))).toBe(true);
  });

  test("rollover replaces procs one by one, never leaving a slot without a running proc", async () => {
    const s = make({ FAKE_DRAIN_MS: "200" });
    expect(await s.waitFor(allRunning(s), 10_000)).toBe(true);
    const before = s.status().procs.map((p) => p.pid);
    let minRunning = Infinity;
    const probe = setInterval(() => {
      for (const slot of ["proc-1", "proc-2"]) {
        minRunning = Math.min(minRunning, s.status().procs.filter((p) => p.name === slot && (p.state === "RUNNING" || p.state === "DRAINING")).length);
      }
    }, 5);
    await s.rollover("test");
    expect(await s.waitFor(() => s.status().procs.length === 2 && s.status().procs.every((p) => p.state === "RUNNING"), 5000)).toBe(true);
    clearInterval(probe);
    expect(minRunning).toBeGreaterThanOrEqual(1);
    const after = s.status().procs.map((p) => p.pid);
    for (const pid of before) expect(after).not.toContain(pid);
  });
});
