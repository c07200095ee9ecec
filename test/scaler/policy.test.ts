// The pure scaling policy, replayed over recorded lag traces with a simulated fleet and clock: no I/O.
import { describe, expect, test } from "bun:test";
import { decide, initialPolicyState, serversFor, type PolicyOptions, type PolicyState } from "../../core/scaler/policy.ts";

const opts: PolicyOptions = { min: 0, max: 10, jobsPerWorker: 20, idleMs: 120_000, cooldownMs: 60_000 };

interface Step { t: number; lag: number; desired: number; ready: number; booting: number; created: number; removed: number }

/** Replays lag samples (one per `stepMs`) through the policy; servers take `bootMs` to become ready. */
function replay(trace: number[], o: PolicyOptions = opts, stepMs = 5_000, bootMs = 60_000, start = 0): Step[] {
  let state: PolicyState = initialPolicyState;
  let booting: number[] = []; // ready-at times
  let ready = start;
  const steps: Step[] = [];
  trace.forEach((lag, i) => {
    const t = i * stepMs;
    const nowReady = booting.filter((r) => r <= t).length;
    ready += nowReady;
    booting = booting.filter((r) => r > t);
    const r = decide(o, state, { now: t, lag, ready, booting: booting.length, draining: 0 });
    state = r.state;
    let created = 0, removed = 0;
    if (r.decision.delta > 0) {
      created = r.decision.delta;
      for (let k = 0; k < created; k++) booting.push(t + bootMs);
    } else if (r.decision.delta < 0) {
      removed = -r.decision.delta;
      // the manager removes booting servers first (they hold no work)
      const fromBooting = Math.min(removed, booting.length);
      booting.splice(0, fromBooting);
      ready -= removed - fromBooting;
    }
    steps.push({ t, lag, desired: r.decision.desired, ready, booting: booting.length, created, removed });
  });
  return steps;
}

const repeat = (v: number, n: number) => Array.from({ length: n }, () => v);

describe("policy", () => {
  test("servers needed is ceil(lag / jobs per worker)", () => {
    expect(serversFor(0, 20)).toBe(0);
    expect(serversFor(1, 20)).toBe(1);
    expect(serversFor(20, 20)).toBe(1);
    expect(serversFor(21, 20)).toBe(2);
  });

  test("a burst scales up at once, booting servers count so nothing is created twice, and max holds", () => {
    // quiet, then 1000 jobs arrive and drain slowly
    const trace = [...repeat(0, 3), ...repeat(1000, 20), 800, 600, 400, 200, 100, 50, 20, ...repeat(0, 40)];
    const steps = replay(trace);
    const burst = steps[3];
    expect(burst.created).toBe(10); // capped at max (1000/20 = 50)
    // no further creation while the first ones are still booting
    expect(steps.slice(4, 15).every((s) => s.created === 0)).toBe(true);
    expect(Math.max(...steps.map((s) => s.ready + s.booting))).toBeLessThanOrEqual(10);
    const totalCreated = steps.reduce((a, s) => a + s.created, 0);
    expect(totalCreated).toBe(10);
    // ends at zero after the idle period
    expect(steps.at(-1)!.ready + steps.at(-1)!.booting).toBe(0);
  });

  test("scale down is one server at a time, spaced by the cool-down", () => {
    // lag steps down from 200 (10 servers) to 20 (1 server) and stays there
    const trace = [...repeat(200, 24), ...repeat(20, 200)];
    const steps = replay(trace);
    const downs = steps.filter((s) => s.removed > 0);
    expect(downs.every((s) => s.removed === 1)).toBe(true);
    for (let i = 1; i < downs.length; i++) expect(downs[i].t - downs[i - 1].t).toBeGreaterThanOrEqual(opts.cooldownMs);
    expect(steps.at(-1)!.ready).toBe(1); // never below what the lag needs
  });

  test("a sawtooth shorter than the idle time never flaps to zero", () => {
    // 60 jobs arrive every 40 s and are gone 20 s later
    const tooth = [...repeat(60, 4), ...repeat(0, 4)];
    const trace = Array.from({ length: 30 }, () => tooth).flat();
    const steps = replay(trace, opts, 5_000, 10_000);
    const created = steps.reduce((a, s) => a + s.created, 0);
    const removed = steps.reduce((a, s) => a + s.removed, 0);
    expect(created).toBe(3); // created once, kept
    expect(removed).toBe(0);
  });

  test("a slow drip keeps one server and scales to zero only after it stops for the idle time", () => {
    // one job every 30 s that takes 5 s, then nothing
    const drip = [1, ...repeat(0, 5)];
    const trace = [...Array.from({ length: 20 }, () => drip).flat(), ...repeat(0, 40)];
    const steps = replay(trace, opts, 5_000, 10_000);
    const dripPart = steps.slice(0, 120);
    expect(dripPart.reduce((a, s) => a + s.created, 0)).toBe(1);
    expect(dripPart.slice(1).every((s) => s.ready + s.booting === 1)).toBe(true);
    const zeroAt = steps.findIndex((s, i) => i >= 120 && s.ready + s.booting === 0);
    expect(zeroAt).toBeGreaterThan(0);
    const lastLag = 114 * 5_000; // last drip sample
    expect(steps[zeroAt].t - lastLag).toBeGreaterThanOrEqual(opts.idleMs);
  });

  test("work done between samples (recentWork) counts as busy, so short drip jobs do not scale to zero", () => {
    let state: PolicyState = initialPolicyState;
    let r = decide(opts, state, { now: 0, lag: 1, ready: 0, booting: 0, draining: 0 });
    expect(r.decision.delta).toBe(1);
    state = r.state;
    // for 10 minutes the lag reads 0 at every sample, but jobs keep being delivered in between
    for (let t = 5_000; t <= 600_000; t += 5_000) {
      r = decide(opts, state, { now: t, lag: 0, ready: 1, booting: 0, draining: 0, recentWork: t % 30_000 === 0 });
      state = r.state;
      expect(r.decision.delta).toBe(0);
    }
    // then nothing at all: zero after the idle time
    r = decide(opts, state, { now: 600_000 + opts.idleMs, lag: 0, ready: 1, booting: 0, draining: 0 });
    expect(r.decision.desired).toBe(0);
  });

  test("min is kept even with no lag, and the idle timer counts from the first tick", () => {
    const o = { ...opts, min: 2 };
    const steps = replay(repeat(0, 50), o);
    expect(steps[0].created).toBe(2);
    expect(steps.every((s) => s.removed === 0)).toBe(true);
    // a manager starting with 3 servers and no lag waits one cool-down before the first step down
    const s2 = replay(repeat(0, 40), o, 5_000, 10_000, 3);
    const firstDown = s2.find((s) => s.removed > 0)!;
    expect(firstDown.t).toBeGreaterThanOrEqual(o.cooldownMs);
    expect(s2.at(-1)!.ready).toBe(2);
  });

  test("draining servers count against max", () => {
    const r = decide(opts, initialPolicyState, { now: 0, lag: 1000, ready: 2, booting: 0, draining: 3 });
    expect(r.decision.desired).toBe(7);
    const full = decide(opts, initialPolicyState, { now: 0, lag: 1000, ready: 0, booting: 0, draining: 10 });
    expect(full.decision.delta).toBe(0);
  });

  test("a fleet above max is cut to max at once", () => {
    const r = decide({ ...opts, max: 3 }, initialPolicyState, { now: 0, lag: 1000, ready: 5, booting: 0, draining: 0 });
    expect(r.decision.desired).toBe(3);
    expect(r.decision.delta).toBe(-2);
  });
});
