import { describe, expect, test } from "bun:test";
import { newProc, procPolicyDefaults, transition, type ProcEvent, type ProcMachine, type ProcPolicy } from "../../core/runtime/supervisor/proc-state.ts";

const policy: ProcPolicy = { ...procPolicyDefaults, backoff: { ...procPolicyDefaults.backoff, jitter: 0 } };

/** Feed events one after the other; returns the final machine and every action emitted. */
function run(events: ProcEvent[], m: ProcMachine = newProc()) {
  const actions: string[] = [];
  for (const ev of events) {
    const t = transition(m, ev, policy);
    m = t.machine;
    for (const a of t.actions) actions.push(a.type === "schedule" ? `schedule:${a.delayMs}` : a.type);
  }
  return { m, actions };
}

const exit = (now: number, code: number | null = 1, signal: string | null = null): ProcEvent => ({ type: "exit", now, code, signal, random: 0.5 });

describe("proc state machine", () => {
  test("a new proc is spawned, becomes RUNNING when ready", () => {
    const { m, actions } = run([{ type: "start", now: 0 }, { type: "ready", now: 100 }]);
    expect(m.state).toBe("RUNNING");
    expect(actions).toEqual(["spawn"]);
    expect(m.restarts).toBe(0);
  });

  test("a crash after a stable run waits the first backoff step, then respawns", () => {
    const { m, actions } = run([{ type: "start", now: 0 }, { type: "ready", now: 100 }, exit(60_000), { type: "timer", now: 60_100 }]);
    expect(actions).toEqual(["spawn", "schedule:100", "spawn"]);
    expect(m.state).toBe("STARTING");
    expect(m.restarts).toBe(1);
    expect(m.lastExit).toMatchObject({ code: 1, fast: false, planned: false });
  });

  test("repeated crashes back off exponentially; a stable run resets the backoff", () => {
    // each run lasts 5 s: not fast (past the start window), not stable (under 30 s)
    const ev: ProcEvent[] = [{ type: "start", now: 0 }];
    let t = 0;
    for (let i = 0; i < 4; i++) {
      ev.push({ type: "ready", now: t + 50 }, exit(t + 5000));
      t += 6000;
      ev.push({ type: "timer", now: t });
    }
    const a = run(ev);
    expect(a.actions.filter((x) => x.startsWith("schedule"))).toEqual(["schedule:100", "schedule:200", "schedule:400", "schedule:800"]);
    expect(a.m.fastFailures).toBe(0);
    const b = run([{ type: "ready", now: t + 50 }, exit(t + 40_000)], a.m);
    expect(b.actions).toEqual(["schedule:100"]);
  });

  test("a proc that dies fast more than maxFastRestarts times becomes FATAL and is not respawned", () => {
    const ev: ProcEvent[] = [{ type: "start", now: 0 }];
    let t = 0;
    for (let i = 0; i < 4; i++) {
      ev.push(exit(t + 30, 1));
      t += 1000;
      ev.push({ type: "timer", now: t });
    }
    const { m, actions } = run(ev);
    expect(m.state).toBe("FATAL");
    expect(actions).toEqual(["spawn", "schedule:100", "spawn", "schedule:200", "spawn", "schedule:400", "spawn", "fatal"]);
    // the timer that may still fire does nothing
    expect(transition(m, { type: "timer", now: t + 5000 }, policy).actions).toEqual([]);
  });

  test("dying before ready counts as fast even after the start window", () => {
    const { m } = run([{ type: "start", now: 0 }, exit(10_000)]);
    expect(m.lastExit?.fast).toBe(true);
    expect(m.fastFailures).toBe(1);
  });

  test("a fatal proc restarts with a clean slate when started again (docctl resume)", () => {
    let m: ProcMachine = { ...newProc(), state: "FATAL", fastFailures: 4, backoffAttempt: 4, startedAt: 0 };
    const t = transition(m, { type: "start", now: 10 }, policy);
    m = t.machine;
    expect(t.actions).toEqual([{ type: "spawn" }]);
    expect(m).toMatchObject({ state: "STARTING", fastFailures: 0, backoffAttempt: 0, restarts: 1 });
  });

  test("start during backoff cancels the wait and spawns now", () => {
    const { m, actions } = run([{ type: "start", now: 0 }, { type: "ready", now: 10 }, exit(5000), { type: "start", now: 5010 }]);
    expect(actions).toEqual(["spawn", "schedule:100", "cancelTimer", "spawn"]);
    expect(m.state).toBe("STARTING");
  });

  test("a recycling proc is replaced at once and not counted as a crash", () => {
    const { m, actions } = run([{ type: "start", now: 0 }, { type: "ready", now: 10 }, { type: "recycle", now: 20 }, exit(30, 0)]);
    expect(actions).toEqual(["spawn", "spawn"]);
    expect(m).toMatchObject({ state: "STARTING", fastFailures: 0, restarts: 1 });
    expect(m.lastExit).toMatchObject({ planned: true, fast: false });
  });

  test("a drained proc (stop) ends STOPPED and is not respawned, whatever its exit code", () => {
    const { m, actions } = run([{ type: "start", now: 0 }, { type: "ready", now: 10 }, { type: "drain", now: 20, intent: "stop" }, exit(30, null, "SIGKILL")]);
    expect(actions).toEqual(["spawn", "sendDrain", "removed"]);
    expect(m.state).toBe("STOPPED");
  });

  test("stop wins over a recycle already under way", () => {
    const { m } = run([{ type: "start", now: 0 }, { type: "ready", now: 10 }, { type: "recycle", now: 20 }, { type: "drain", now: 25, intent: "stop" }, exit(30, 0)]);
    expect(m.state).toBe("STOPPED");
  });

  test("draining a proc in backoff or FATAL removes it without waiting", () => {
    const a = run([{ type: "start", now: 0 }, exit(10), { type: "drain", now: 20, intent: "stop" }]);
    expect(a.actions).toEqual(["spawn", "schedule:100", "cancelTimer", "removed"]);
    expect(a.m.state).toBe("STOPPED");
    const b = transition({ ...newProc(), state: "FATAL" }, { type: "drain", now: 0, intent: "retire" }, policy);
    expect(b.machine.state).toBe("STOPPED");
    expect(b.actions).toEqual([{ type: "removed" }]);
  });

  test("the input machine is never modified", () => {
    const m = newProc();
    const copy = JSON.stringify(m);
    transition(m, { type: "start", now: 1 }, policy);
    expect(JSON.stringify(m)).toBe(copy);
  });
});
