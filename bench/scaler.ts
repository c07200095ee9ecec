// Replays a bursty job trace through the scaling policy on a simulated clock and reports what the
// fleet cost (server-minutes) and how long jobs waited, beside a fixed fleet and a clairvoyant one.
//   bun bench/scaler.ts [--hours 8] [--seed 42] [--boot 60] [--rate 2] [--jpw 20] [--max 10] [--idle 120] [--cooldown 60] [--interval 5]
import { parseArgs } from "node:util";
import { decide, initialPolicyState, serversFor, type PolicyOptions, type PolicyState } from "../core/scaler/policy.ts";

const { values } = parseArgs({
  options: Object.fromEntries(["hours", "seed", "boot", "rate", "jpw", "max", "idle", "cooldown", "interval"].map((k) => [k, { type: "string" as const }])),
});
const num = (k: string, d: number) => (values[k] === undefined ? d : Number(values[k]));
const HOURS = num("hours", 8);
const SEED = num("seed", 42);
const BOOT_S = num("boot", 60); // droplet boot + worker start
const RATE = num("rate", 2); // jobs per second one server finishes
const INTERVAL_S = num("interval", 5);
const policy: PolicyOptions = {
  min: 0,
  max: num("max", 10),
  jobsPerWorker: num("jpw", 20),
  idleMs: num("idle", 120) * 1000,
  cooldownMs: num("cooldown", 60) * 1000,
};

/** Deterministic PRNG so every run replays the same trace. */
function mulberry32(a: number) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Jobs arriving in each second: quiet stretches with a slow drip, bursts, and a sawtooth hour. */
function makeTrace(seconds: number, seed: number): number[] {
  const rnd = mulberry32(seed);
  const arrivals = new Array<number>(seconds).fill(0);
  for (let t = 0; t < seconds; t++) {
    if (rnd() < 1 / 30) arrivals[t]! += 1; // drip: one job every ~30 s
  }
  // bursts: a batch of 200..1500 jobs submitted over ~20 s, about every 45 minutes
  for (let t = Math.floor(rnd() * 1200); t < seconds; t += Math.floor(900 + rnd() * 3600)) {
    const size = Math.floor(200 + rnd() * 1300);
    for (let k = 0; k < size; k++) {
      const at = t + Math.floor(rnd() * 20);
      if (at < seconds) arrivals[at]! += 1;
    }
  }
  // sawtooth: during the third hour, 60 jobs every 4 minutes
  for (let t = 2 * 3600; t < 3 * 3600 && t < seconds; t += 240) arrivals[t]! += 60;
  return arrivals;
}

interface Result {
  name: string;
  serverMinutes: number;
  worstWaitS: number;
  p95WaitS: number;
  meanWaitS: number;
  peak: number;
  creates: number;
}

type Sizer = (t: number, lag: number, ready: number, booting: number, recentWork: boolean) => number;

/**
 * One-second steps: jobs arrive, ready servers each finish RATE jobs/s (FIFO), every INTERVAL_S the
 * sizer says how many servers it wants; new servers take `bootS` to become ready; removed ones stop at once.
 */
function simulate(name: string, arrivals: number[], sizer: Sizer, bootS: number, intervalS: number, start = 0): Result {
  const queue: number[] = []; // arrival times, FIFO
  let head = 0;
  let ready = start;
  let bootingAt: number[] = [];
  let credit = 0;
  let serverSeconds = 0;
  let peak = start;
  let creates = 0;
  const waits: number[] = [];
  let doneAtLastTick = 0;
  for (let t = 0; t < arrivals.length || head < queue.length; t++) {
    for (let k = 0; k < (arrivals[t] ?? 0); k++) queue.push(t);
    const up = bootingAt.filter((r) => r <= t).length;
    ready += up;
    bootingAt = bootingAt.filter((r) => r > t);
    if (t % intervalS === 0) {
      const lag = queue.length - head;
      const want = sizer(t, lag, ready, bootingAt.length, head > doneAtLastTick);
      doneAtLastTick = head;
      const have = ready + bootingAt.length;
      if (want > have) {
        for (let k = 0; k < want - have; k++) bootingAt.push(t + bootS);
        creates += want - have;
      } else if (want < have) {
        let drop = have - want;
        const fromBoot = Math.min(drop, bootingAt.length);
        bootingAt.splice(bootingAt.length - fromBoot, fromBoot);
        drop -= fromBoot;
        ready -= drop;
      }
    }
    credit += ready * RATE;
    while (credit >= 1 && head < queue.length) {
      waits.push(t - queue[head]!);
      head++;
      credit -= 1;
    }
    if (head >= queue.length) credit = Math.min(credit, ready * RATE); // idle capacity does not bank
    serverSeconds += ready + bootingAt.length;
    peak = Math.max(peak, ready + bootingAt.length);
    if (t > arrivals.length + 86_400) break; // a fleet that can never finish
  }
  waits.sort((a, b) => a - b);
  return {
    name,
    serverMinutes: Math.round(serverSeconds / 60),
    worstWaitS: waits.at(-1) ?? 0,
    p95WaitS: waits[Math.floor(waits.length * 0.95)] ?? 0,
    meanWaitS: Math.round((waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length)) * 10) / 10,
    peak,
    creates,
  };
}

const seconds = Math.round(HOURS * 3600);
const arrivals = makeTrace(seconds, SEED);
const jobs = arrivals.reduce((a, b) => a + b, 0);

/** The real policy; `useWork` feeds it "jobs were delivered since the last tick", as the manager does. */
function policySizer(useWork: boolean): Sizer {
  let state: PolicyState = initialPolicyState;
  return (t, lag, ready, booting, recentWork) => {
    const r = decide(policy, state, { now: t * 1000, lag, ready, booting, draining: 0, recentWork: useWork && recentWork });
    state = r.state;
    return r.decision.desired;
  };
}
// knows the future: every server is ready the moment the lag appears (booted BOOT_S ahead) and is
// stopped the moment it is not needed; sized by the same jobs-per-worker rule, checked every second
const oracle: Sizer = (_t, lag) => Math.min(policy.max, serversFor(lag, policy.jobsPerWorker));

const results = [
  simulate(`policy (boot ${BOOT_S}s, idle ${policy.idleMs / 1000}s, cool-down ${policy.cooldownMs / 1000}s)`, arrivals, policySizer(true), BOOT_S, INTERVAL_S),
  simulate("same policy, idle timer from lag samples only", arrivals, policySizer(false), BOOT_S, INTERVAL_S),
  simulate(`fixed fleet of ${policy.max}`, arrivals, () => policy.max, 0, 1, policy.max),
  simulate(`fixed fleet of ${Math.max(1, Math.round(policy.max / 5))}`, arrivals, () => Math.max(1, Math.round(policy.max / 5)), 0, 1, Math.max(1, Math.round(policy.max / 5))),
  simulate("ideal (knows the future: no boot wait, no idle tail)", arrivals, oracle, 0, 1),
];

console.log(`trace: ${HOURS} h, ${jobs} jobs (seed ${SEED}); a server finishes ${RATE} jobs/s; jobs-per-worker ${policy.jobsPerWorker}, max ${policy.max}, interval ${INTERVAL_S}s`);
console.log(`lower bound on work: ${Math.round(jobs / RATE / 60)} server-minutes`);
console.log("");
console.log(`| fleet | server-minutes | worst wait | p95 wait | mean wait | peak | servers created |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
for (const r of results) {
  console.log(`| ${r.name} | ${r.serverMinutes} | ${r.worstWaitS}s | ${r.p95WaitS}s | ${r.meanWaitS}s | ${r.peak} | ${r.creates} |`);
}
