// The pure scaling policy, replayed over job traces with a simulated fleet and clock: no I/O.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { MIN_GAPS, decide, expectedGapMs, initialPolicyState, paidUntil, serversFor, type PolicyInput, type PolicyOptions, type PolicyState } from "../../core/scaler/policy.ts";

const opts: PolicyOptions = { min: 0, max: 10, jobsPerWorker: 20, idleMs: 120_000, cooldownMs: 15_000, bootMs: 60_000, clearMs: 60_000, billingIncrementMs: 0, billingMinimumMs: 60_000 };

interface Step { t: number; lag: number; desired: number; ready: number; booting: number; created: number; removed: number; reason: string; cost?: number; bootMs: number }

/**
 * A fleet on a one-second clock: `arrivals(t)` jobs of one handler arrive each second, each costs
 * `cost` server-seconds; a server is ready `bootS` after it is created; the policy looks every `tickS`.
 */
function run(arrivals: (t: number) => number, seconds: number, o: PolicyOptions = opts, p: { cost?: number; bootS?: number; tickS?: number; start?: number; state?: PolicyState } = {}): Step[] {
  const cost = p.cost ?? 0.5;
  const bootS = p.bootS ?? 60;
  const tickS = p.tickS ?? 5;
  let state: PolicyState = p.state ?? initialPolicyState;
  let servers = Array.from({ length: p.start ?? 0 }, (_, i) => ({ id: `s${i}`, createdAt: -3_600_000, readyAt: -1 }));
  let n = servers.length;
  let queue = 0; // jobs waiting
  let credit = 0;
  let arrived = 0, completed = 0;
  const booted: number[] = [];
  const steps: Step[] = [];
  for (let t = 0; t < seconds; t++) {
    const a = arrivals(t);
    queue += a;
    arrived += a;
    for (const s of servers) if (s.readyAt === t) booted.push((t - s.createdAt / 1000) * 1000);
    if (t % tickS === 0) {
      const ready = servers.filter((s) => s.readyAt <= t).length;
      const input: PolicyInput = {
        now: t * 1000, lag: queue, ready, booting: servers.length - ready, draining: 0, intervalMs: tickS * 1000,
        handlers: [{ handler: "h", lag: queue, pending: queue, arrived, completed }],
        servers: servers.map((s) => ({ id: s.id, createdAt: s.createdAt, ready: s.readyAt <= t })),
        booted: booted.splice(0),
      };
      arrived = completed = 0;
      const r = decide(o, state, input);
      state = r.state;
      let created = 0, removed = 0;
      if (r.decision.delta > 0) {
        created = r.decision.delta;
        for (let k = 0; k < created; k++) servers.push({ id: `s${n++}`, createdAt: t * 1000, readyAt: t + bootS });
      } else if (r.decision.delta < 0) {
        removed = -r.decision.delta;
        const ok = new Set(r.decision.removable ?? servers.map((s) => s.id));
        const gone = new Set(servers.filter((s) => ok.has(s.id)).slice(-removed).map((s) => s.id));
        expect(gone.size).toBe(removed); // never asks to remove more than it marked removable
        servers = servers.filter((s) => !gone.has(s.id));
      }
      const nowReady = servers.filter((s) => s.readyAt <= t).length;
      steps.push({ t: t * 1000, lag: queue, desired: r.decision.desired, ready: nowReady, booting: servers.length - nowReady, created, removed, reason: r.decision.reason, cost: state.cost?.h, bootMs: r.decision.estimate!.bootMs });
    }
    const ready = servers.filter((s) => s.readyAt <= t).length;
    credit += ready;
    const done = Math.min(queue, Math.floor(credit / cost + 1e-9));
    queue -= done;
    completed += done;
    credit -= done * cost;
    if (queue === 0) credit = Math.min(credit, ready);
  }
  return steps;
}

const sum = (steps: Step[], f: (s: Step) => number) => steps.reduce((a, s) => a + f(s), 0);
const fleetAt = (s: Step) => s.ready + s.booting;

describe("policy", () => {
  test("jobs-per-worker sizing before any measure", () => {
    expect(serversFor(0, 20)).toBe(0);
    expect(serversFor(21, 20)).toBe(2);
    // 40 jobs of unknown cost = 40 x (60 s / 20) = 120 server-s; nothing ready: 120 / 60 s per new server = 2
    const r = decide(opts, initialPolicyState, { now: 0, lag: 40, ready: 0, booting: 0, draining: 0 });
    expect(r.decision.desired).toBe(2);
    expect(r.decision.cause).toBe("backlog");
  });

  test("a burst creates up to max at once, booting servers count so nothing is created twice, and all go once it is done", () => {
    // 1500 jobs of 0.5 server-s over 20 s, nothing before
    const steps = run((t) => (t >= 30 && t < 50 ? 75 : 0), 1200);
    const created = sum(steps, (s) => s.created);
    expect(created).toBe(10);
    expect(Math.max(...steps.map(fleetAt))).toBeLessThanOrEqual(10);
    // every creation happens within the first tick or two of the burst
    expect(steps.filter((s) => s.created > 0).every((s) => s.t <= 60_000)).toBe(true);
    expect(fleetAt(steps.at(-1)!)).toBe(0);
    // the boot time was measured from the servers' registrations
    expect(steps.at(-1)!.bootMs).toBe(60_000);
  });

  test("no server is bought for a backlog the ready one clears before a new one would be ready", () => {
    // one server ready, jobs measured at 0.5 server-s; 100 jobs = 50 server-s: cleared in 50 s, under one boot
    const known: PolicyState = { ...initialPolicyState, cost: { h: 0.5 } };
    const steps = run((t) => (t === 10 ? 100 : 0), 300, opts, { start: 1, state: known });
    expect(sum(steps, (s) => s.created)).toBe(0);
    // 1000 jobs = 500 server-s: it cannot, so servers are created
    const big = run((t) => (t === 10 ? 1000 : 0), 600, opts, { start: 1, state: known });
    expect(sum(big, (s) => s.created)).toBeGreaterThan(0);
  });

  test("booting servers count from when they will serve", () => {
    const base = { now: 100_000, lag: 400, ready: 0, booting: 1, draining: 0, intervalMs: 5_000, handlers: [{ handler: "h", lag: 400, pending: 400, arrived: 0, completed: 0 }] };
    const st: PolicyState = { ...initialPolicyState, cost: { h: 0.5 }, startedAt: 0 };
    // 200 server-s of work; one server booting that serves in 5 s covers 115 s of the 120 s horizon: one more is needed
    const soon = decide(opts, st, { ...base, servers: [{ id: "a", createdAt: 45_000, ready: false }] });
    // the same server created just now serves only after a whole boot: two more are needed
    const late = decide(opts, st, { ...base, servers: [{ id: "a", createdAt: 100_000, ready: false }] });
    expect(soon.decision.delta).toBe(2);
    expect(late.decision.delta).toBe(3);
  });

  test("throughput is measured per handler from the ticks the servers were saturated", () => {
    // jobs cost 2 server-s (the prior assumes 3 s); a long steady backlog
    const steps = run((t) => (t < 1500 ? 3 : 0), 1800, opts, { cost: 2, start: 2 });
    const learnt = steps.at(-1)!.cost!;
    expect(learnt).toBeGreaterThan(1.7);
    expect(learnt).toBeLessThan(2.3);
    // two handlers with different costs on one saturated fleet
    let st: PolicyState = { ...initialPolicyState };
    let r = decide(opts, st, { now: 0, lag: 500, ready: 4, booting: 0, draining: 0, handlers: [{ handler: "a", lag: 250, pending: 240, arrived: 250, completed: 0 }, { handler: "b", lag: 250, pending: 240, arrived: 250, completed: 0 }] });
    st = r.state;
    for (let i = 1; i <= 60; i++) {
      // 4 servers x 5 s = 20 server-s a tick: 8 jobs of a (1 s) + 3 of b (4 s)
      const h = (name: string, c: number) => ({ handler: name, lag: 200, pending: 190, arrived: 0, completed: c });
      r = decide(opts, st, { now: i * 5000, lag: 400, ready: 4, booting: 0, draining: 0, handlers: [h("a", 8 - (i % 2) * 4), h("b", 3 + (i % 2))] });
      st = r.state;
    }
    expect(st.cost!.b! / st.cost!.a!).toBeGreaterThan(2.5);
  });

  test("a slow drip keeps one server; the last one goes once the idle gap to expect is longer than a boot", () => {
    // one job every 30 s for an hour: gaps of 30 s (< 60 s boot)
    const drip = run((t) => (t < 3600 && t % 30 === 0 ? 1 : 0), 3600 + 600);
    const during = drip.filter((s) => s.t > 60_000 && s.t < 3_600_000);
    expect(during.every((s) => fleetAt(s) === 1)).toBe(true);
    expect(sum(drip, (s) => s.created)).toBe(1);
    // after it stops: zero only after --idle (the gaps seen were short)
    const zeroAt = drip.find((s) => s.t > 3_600_000 && fleetAt(s) === 0)!;
    expect(zeroAt.t - 3_570_000).toBeGreaterThanOrEqual(opts.idleMs);
    // one job every 10 minutes: the expected gap is far longer than a boot, so each server goes right after its job
    const rare = run((t) => (t % 600 === 0 ? 1 : 0), 3 * 3600);
    const late = rare.filter((s) => s.t > 3600_000);
    const upTime = late.filter((s) => fleetAt(s) > 0).length * 5;
    expect(upTime / (late.length * 5)).toBeLessThan(0.2); // a boot + the billing minimum + a tick per 10 minutes
    expect(expectedGapMs({ ...initialPolicyState, gaps: { s1: 600_000 * 10, s2: 600_000 ** 2 * 10, n: 10 } })).toBe(300_000);
  });

  test("one or two idle gaps are not trusted: a fresh fleet's only server stays until --idle", () => {
    // scale-from-zero as a user does it: one job, a second 4 s later, then nothing; a 1 s boot (local),
    // a tick a second. One gap of 4 s reads as "2 s to expect > 1 s boot": the worker was drained at once.
    const o: PolicyOptions = { ...opts, idleMs: 60_000, bootMs: 1_000, billingMinimumMs: 0 };
    const two = run((t) => (t === 0 || t === 4 ? 1 : 0), 120, o, { bootS: 1, tickS: 1 });
    const firstZero = two.find((s) => s.t > 4_000 && fleetAt(s) === 0)!;
    expect(two.find((s) => s.t === 6_000)!.ready).toBe(1);
    expect(firstZero.t - 4_000).toBeGreaterThanOrEqual(o.idleMs);
    expect(firstZero.reason).toMatch(/^no work for 6\ds; removing 1 of 1$/);
    expect(expectedGapMs({ ...initialPolicyState, gaps: { s1: 4_000, s2: 16_000_000, n: 1 } })).toBeNull();
    expect(expectedGapMs({ ...initialPolicyState, gaps: { s1: 8_000, s2: 32_000_000, n: MIN_GAPS - 1 } })).toBeNull();
    // from MIN_GAPS gaps on the estimate counts: jobs 20 s apart (10 s to expect, boot 1 s), the server goes after each
    const drip = run((t) => (t % 20 === 0 && t <= 100 ? 1 : 0), 120, o, { bootS: 1, tickS: 1 });
    const early = drip.find((s) => s.t > 60_000 && s.t < 80_000 && fleetAt(s) === 0);
    expect(early).toBeDefined();
    expect(early!.reason).toContain("idle gaps of 10s expected");
  });

  test("a job seen on two ticks (queued, then done) is one busy spell, not two idle gaps", () => {
    // `docctl up` as a user meets it: a job on one tick, done by the next (the manager sees deliveries:
    // recentWork), a second job 8 s later, done likewise. Each busy tick counted as a gap, so MIN_GAPS was
    // reached by the second job and the only worker went at once ("no work for 0s (idle gaps of 2s
    // expected, boot 1s); removing 1 of 1") whatever --idle said.
    const o: PolicyOptions = { ...opts, idleMs: 60_000, bootMs: 1_000, billingMinimumMs: 0 };
    const servers = [{ id: "s0", createdAt: -3_600_000, ready: true }];
    let st: PolicyState = { ...initialPolicyState, startedAt: -3_600_000 };
    const work = new Map<number, { lag: number; arrived: number; recentWork: boolean }>([
      [0, { lag: 1, arrived: 1, recentWork: false }],
      [1, { lag: 1, arrived: 0, recentWork: false }], // still waiting (a worker booting)
      [2, { lag: 0, arrived: 0, recentWork: true }],
      [10, { lag: 1, arrived: 1, recentWork: false }],
      [11, { lag: 0, arrived: 0, recentWork: true }],
    ]);
    const deltas: number[] = [];
    for (let t = 0; t <= 40; t++) {
      const w = work.get(t) ?? { lag: 0, arrived: 0, recentWork: false };
      const r = decide(o, st, {
        now: t * 1000, lag: w.lag, ready: 1, booting: 0, draining: 0, intervalMs: 1000, servers, recentWork: w.recentWork,
        handlers: [{ handler: "h", lag: w.lag, pending: w.lag, arrived: w.arrived, completed: w.recentWork ? 1 : 0 }],
      });
      st = r.state;
      deltas.push(r.decision.delta);
    }
    expect(st.gaps?.n).toBe(1); // one idle gap (between the two spells); the busy ticks add none
    expect(expectedGapMs(st)).toBeNull();
    expect(deltas.every((d) => d === 0)).toBe(true); // kept until --idle (60 s), not drained after the second job
  });

  test("nothing is removed while jobs wait", () => {
    // 10 servers, a backlog small enough for 2 of them but waiting all along
    const st: PolicyState = { ...initialPolicyState, startedAt: 0, cost: { h: 0.5 } };
    const servers = Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, createdAt: 0, ready: true }));
    const r = decide(opts, st, { now: 600_000, lag: 50, ready: 10, booting: 0, draining: 0, servers, handlers: [{ handler: "h", lag: 50, pending: 40, arrived: 0, completed: 100 }] });
    expect(r.decision.delta).toBe(0);
    // the same with nothing waiting (only in flight): surplus goes after the cool-down
    const idle = decide(opts, { ...st, window: [{ at: 590_000, wanted: 1 }] }, { now: 600_000, lag: 5, ready: 10, booting: 0, draining: 0, servers, handlers: [{ handler: "h", lag: 5, pending: 0, arrived: 5, completed: 5 }] });
    expect(idle.decision.delta).toBeLessThan(0);
    expect(idle.decision.removable).toHaveLength(10);
  });

  test("a paid server is kept until its billing increment is used", () => {
    expect(paidUntil(0, 30_000, { billingIncrementMs: 0, billingMinimumMs: 60_000 })).toBe(60_000);
    expect(paidUntil(0, 90_000, { billingIncrementMs: 0, billingMinimumMs: 60_000 })).toBe(90_000);
    expect(paidUntil(0, 90_000, { billingIncrementMs: 3_600_000, billingMinimumMs: 0 })).toBe(3_600_000);
    const st: PolicyState = { ...initialPolicyState, startedAt: 0, lastBusyAt: 0 };
    const input = (now: number): PolicyInput => ({ now, lag: 0, ready: 2, booting: 0, draining: 0, intervalMs: 5_000, servers: [{ id: "old", createdAt: 0, ready: true }, { id: "new", createdAt: now - 20_000, ready: true }] });
    // per second with a 60 s minimum: the 20 s old one stays, the other one may go
    const r = decide({ ...opts, idleMs: 1000 }, { ...st, window: [] }, input(300_000));
    expect(r.decision.delta).toBe(-1);
    expect(r.decision.removable).toEqual(["old"]);
    // hourly: nothing goes until an hour is nearly used
    const hourly = { ...opts, idleMs: 1000, billingIncrementMs: 3_600_000, billingMinimumMs: 0 };
    const h1 = decide(hourly, st, input(1_800_000));
    expect(h1.decision.delta).toBe(0);
    expect(h1.decision.cause).toBe("billing");
    const h2 = decide(hourly, st, input(3_598_000));
    expect(h2.decision.removable).toEqual(["old"]);
  });

  test("min is kept, draining servers count against max, a fleet above max is cut", () => {
    const steps = run(() => 0, 600, { ...opts, min: 2 });
    expect(steps[0].created).toBe(2);
    expect(steps.every((s) => s.removed === 0)).toBe(true);
    const r = decide(opts, initialPolicyState, { now: 0, lag: 1000, ready: 2, booting: 0, draining: 3 });
    expect(r.decision.desired).toBe(7);
    const full = decide(opts, initialPolicyState, { now: 0, lag: 1000, ready: 0, booting: 0, draining: 10 });
    expect(full.decision.delta).toBe(0);
    expect(full.decision.cause).toBe("max-full");
    const above = decide({ ...opts, max: 3 }, initialPolicyState, { now: 0, lag: 1000, ready: 5, booting: 0, draining: 0 });
    expect(above.decision.desired).toBe(3);
  });

  test("bench/scaler.ts: within 1.5x the clairvoyant fleet that pays boot time, worst wait within one boot of its, on both traces", () => {
    for (const trace of ["bursty", "nightly"]) {
      const r = spawnSync(process.execPath, ["bench/scaler.ts", "--trace", trace], { encoding: "utf8" });
      expect(r.status).toBe(0);
      const goals = r.stdout.split("\n").filter((l) => l.startsWith("goal:"));
      expect(goals).toHaveLength(2);
      for (const g of goals) expect(g).toEndWith("MET");
      expect(r.stdout).not.toContain("NOT MET");
    }
  });
});
