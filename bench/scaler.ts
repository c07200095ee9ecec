// Replays a job trace through the scaling policy on a simulated clock and reports what the fleet cost
// (server-minutes, and minutes billed per second with a 60 s minimum) and how long jobs waited, beside
// fixed fleets, the no-boot ideal and a clairvoyant fleet that pays boot time.
//   bun bench/scaler.ts [--trace bursty|nightly] [--hours H] [--seed 42] [--boot 60] [--rate 2] [--jpw 20]
//                       [--max 10] [--idle 120] [--cooldown 15] [--clear 30] [--interval 5] [--billing-increment 0] [--billing-minimum 60]
import { parseArgs } from "node:util";
import { decide, initialPolicyState, type HandlerSample, type PolicyOptions, type PolicyState, type ServerSample } from "../core/scaler/policy.ts";

const names = ["trace", "hours", "seed", "boot", "rate", "jpw", "max", "idle", "cooldown", "clear", "interval", "billing-increment", "billing-minimum"];
const { values } = parseArgs({ options: Object.fromEntries(names.map((k) => [k, { type: "string" as const }])) });
const num = (k: string, d: number) => (values[k] === undefined ? d : Number(values[k]));
const TRACE = (values.trace as string | undefined) ?? "bursty";
if (TRACE !== "bursty" && TRACE !== "nightly") throw new Error(`--trace must be bursty or nightly (got ${TRACE})`);
const HOURS = num("hours", TRACE === "bursty" ? 8 : 24);
const SEED = num("seed", 42);
const BOOT_S = num("boot", 60); // droplet boot + worker start
const RATE = num("rate", 2); // jobs per second one server finishes (the bursty trace's one handler)
const INTERVAL_S = num("interval", 5);
const BILL_MIN_S = num("billing-minimum", 60);
const policy: PolicyOptions = {
  min: 0,
  max: num("max", 10),
  jobsPerWorker: num("jpw", 20),
  idleMs: num("idle", 120) * 1000,
  cooldownMs: num("cooldown", 15) * 1000,
  clearMs: num("clear", 30) * 1000,
  bootMs: 60_000, // the prior: the policy measures the real boot itself
  billingIncrementMs: num("billing-increment", 0) * 1000,
  billingMinimumMs: BILL_MIN_S * 1000,
};
// the ideal's sizing: as many servers as clear the backlog within jobs-per-worker jobs' time on one server
const IDEAL_CLEAR_S = policy.jobsPerWorker / RATE;
const INC_S = policy.billingIncrementMs! / 1000;
/** What a server that lived `s` seconds is billed, seconds. */
const billed = (s: number) => Math.max(BILL_MIN_S, INC_S > 0 ? Math.ceil(s / INC_S) * INC_S : s);

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

/** One job type: its name and the server-seconds one job costs. */
interface Kind {
  handler: string;
  cost: number;
}
type Trace = { kind: Kind; count: number }[][]; // per second: jobs arriving

/** Quiet stretches with a slow drip, bursts, and a sawtooth hour; one handler at RATE jobs/s per server. */
function bursty(seconds: number, seed: number): Trace {
  const rnd = mulberry32(seed);
  const pdf: Kind = { handler: "pdf", cost: 1 / RATE };
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
  return arrivals.map((n) => (n ? [{ kind: pdf, count: n }] : []));
}

/**
 * A day: a steady stream of short jobs (0.25 server-s each) that follows office hours (a drip of one
 * a minute at night, up to 6 jobs/s at 14:00), and at 02:00 a nightly batch of 6000 long jobs (1 server-s
 * each) submitted over a minute.
 */
function nightly(seconds: number, seed: number): Trace {
  const rnd = mulberry32(seed);
  const title: Kind = { handler: "title", cost: 0.25 };
  const pdf: Kind = { handler: "pdf", cost: 1 };
  const out: Trace = Array.from({ length: seconds }, () => []);
  for (let t = 0; t < seconds; t++) {
    const h = (t / 3600) % 24;
    const lambda = 1 / 60 + 6 * Math.max(0, Math.sin((Math.PI * (h - 7)) / 14));
    // Poisson arrivals in this second (Knuth)
    let n = 0;
    for (let p = rnd(), l = Math.exp(-lambda); p > l; p *= rnd()) n++;
    if (n) out[t]!.push({ kind: title, count: n });
  }
  for (let day = 0; day * 86_400 < seconds; day++) {
    const at0 = day * 86_400 + 2 * 3600;
    for (let k = 0; k < 6000; k++) {
      const at = at0 + Math.floor(rnd() * 60);
      if (at >= seconds) continue;
      let e = out[at]!.find((x) => x.kind === pdf);
      if (!e) out[at]!.push((e = { kind: pdf, count: 0 }));
      e.count++;
    }
  }
  return out;
}

interface Result {
  name: string;
  serverMinutes: number;
  billedMinutes: number;
  worstWaitS: number;
  p95WaitS: number;
  meanWaitS: number;
  peak: number;
  creates: number;
  /** servers (ready + booting) at each second, for the clairvoyant */
  fleet: number[];
}

/** What a sizer sees on one tick. */
interface View {
  t: number;
  lag: number;
  backlogS: number;
  handlers: HandlerSample[];
  servers: ServerSample[];
  booted: number[];
  recentWork: boolean;
}
/** How many servers it wants, and (when fewer) which ones may go. */
type Sizer = (v: View) => { want: number; removable?: string[] };

interface Sim {
  id: number;
  createdAt: number;
  readyAt: number;
}

/**
 * One-second steps: jobs arrive, each ready server does one server-second of work per second (FIFO),
 * every `intervalS` the sizer says how many servers it wants; a new server is ready `bootS` after it is
 * created; a removed one stops at once (booting ones first, then the newest).
 */
function simulate(name: string, trace: Trace, sizer: Sizer, bootS: number, intervalS: number, start = 0): Result {
  const queue: { at: number; kind: Kind }[] = [];
  let head = 0;
  let nextId = 0;
  let servers: Sim[] = Array.from({ length: start }, () => ({ id: nextId++, createdAt: -BILL_MIN_S, readyAt: -1 }));
  let credit = 0;
  let serverSeconds = 0;
  let billedSeconds = 0;
  let peak = start;
  let creates = 0;
  const waits: number[] = [];
  const fleet: number[] = [];
  const counts = new Map<string, { arrived: number; completed: number; lag: number }>();
  const c = (h: string) => counts.get(h) ?? (counts.set(h, { arrived: 0, completed: 0, lag: 0 }), counts.get(h)!);
  let booted: number[] = [];
  let completedSinceTick = 0;
  const bill = (s: Sim, t: number) => (billedSeconds += billed(t - s.createdAt));
  for (let t = 0; t < trace.length || head < queue.length; t++) {
    for (const a of trace[t] ?? []) {
      for (let k = 0; k < a.count; k++) queue.push({ at: t, kind: a.kind });
      c(a.kind.handler).arrived += a.count;
      c(a.kind.handler).lag += a.count;
    }
    for (const s of servers) if (s.readyAt === t) booted.push((t - s.createdAt) * 1000);
    if (t % intervalS === 0) {
      let backlogS = 0;
      for (let i = head; i < queue.length; i++) backlogS += queue[i]!.kind.cost;
      const handlers = [...counts].map(([handler, x]) => ({ handler, lag: x.lag, pending: x.lag, arrived: x.arrived, completed: x.completed }));
      const view: View = {
        t,
        lag: queue.length - head,
        backlogS,
        handlers,
        servers: servers.map((s) => ({ id: String(s.id), createdAt: s.createdAt * 1000, ready: s.readyAt <= t })),
        booted,
        recentWork: completedSinceTick > 0,
      };
      for (const x of counts.values()) x.arrived = x.completed = 0;
      booted = [];
      completedSinceTick = 0;
      const { want, removable } = sizer(view);
      const have = servers.length;
      if (want > have) {
        for (let k = 0; k < want - have; k++) servers.push({ id: nextId++, createdAt: t, readyAt: t + bootS });
        creates += want - have;
      } else if (want < have) {
        const ok = removable ? new Set(removable.map(Number)) : null;
        // booting ones first (no work on them), then the newest
        const order = [...servers].filter((s) => !ok || ok.has(s.id)).sort((a, b) => Number(a.readyAt <= t) - Number(b.readyAt <= t) || b.createdAt - a.createdAt);
        const gone = new Set(order.slice(0, have - want).map((s) => s.id));
        for (const s of servers) if (gone.has(s.id)) bill(s, t);
        servers = servers.filter((s) => !gone.has(s.id));
      }
    }
    const ready = servers.filter((s) => s.readyAt <= t).length;
    credit += ready;
    while (head < queue.length && credit >= queue[head]!.kind.cost - 1e-9) {
      const j = queue[head]!;
      waits.push(t - j.at);
      credit -= j.kind.cost;
      c(j.kind.handler).completed++;
      c(j.kind.handler).lag--;
      completedSinceTick++;
      head++;
    }
    if (head >= queue.length) credit = Math.min(credit, ready); // idle capacity does not bank
    serverSeconds += servers.length;
    fleet.push(servers.length);
    peak = Math.max(peak, servers.length);
    if (t > trace.length + 86_400) break; // a fleet that can never finish
  }
  for (const s of servers) bill(s, fleet.length);
  waits.sort((a, b) => a - b);
  return {
    name,
    serverMinutes: Math.round(serverSeconds / 60),
    billedMinutes: Math.round(billedSeconds / 60),
    worstWaitS: waits.at(-1) ?? 0,
    p95WaitS: waits[Math.floor(waits.length * 0.95)] ?? 0,
    meanWaitS: Math.round((waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length)) * 10) / 10,
    peak,
    creates,
    fleet,
  };
}

/**
 * The clairvoyant fleet that pays boot time: it runs the no-boot ideal's servers (so its jobs wait
 * exactly as long as the ideal's), but each server is created one boot before its work and deleted
 * the moment it is idle; a server idle for less than a boot is kept (a new one would have to be created
 * before the gap ends anyway). Each server is one "lane" of the ideal's fleet: lane k runs while the
 * ideal has more than k servers.
 */
function clairvoyant(ideal: Result, bootS: number): Result {
  const lanes = Math.max(0, ...ideal.fleet);
  let seconds = 0;
  let billedS = 0;
  let creates = 0;
  for (let k = 0; k < lanes; k++) {
    let life = 0; // of the server running this lane now
    let lastEnd: number | null = null;
    let t = 0;
    while (t < ideal.fleet.length) {
      if (ideal.fleet[t]! <= k) {
        t++;
        continue;
      }
      let end = t;
      while (end < ideal.fleet.length && ideal.fleet[end]! > k) end++;
      if (lastEnd !== null && t - lastEnd < bootS) {
        life += t - lastEnd + (end - t); // kept through the gap
      } else {
        if (lastEnd !== null) billedS += billed(life);
        seconds += life;
        life = bootS + (end - t);
        creates++;
      }
      lastEnd = end;
      t = end;
    }
    if (lastEnd !== null) {
      billedS += billed(life);
      seconds += life;
    }
  }
  return { ...ideal, name: `clairvoyant, pays the ${bootS}s boot (knows the arrivals)`, serverMinutes: Math.round(seconds / 60), billedMinutes: Math.round(billedS / 60), creates };
}

const seconds = Math.round(HOURS * 3600);
const trace = TRACE === "bursty" ? bursty(seconds, SEED) : nightly(seconds, SEED);
const jobs = trace.reduce((a, s) => a + s.reduce((b, x) => b + x.count, 0), 0);
const workS = trace.reduce((a, s) => a + s.reduce((b, x) => b + x.count * x.kind.cost, 0), 0);

/** The real policy, fed what the manager measures (lag, arrivals and completions per handler, boot times). */
function policySizer(o: PolicyOptions): Sizer {
  let state: PolicyState = initialPolicyState;
  return (v) => {
    const r = decide(o, state, { now: v.t * 1000, lag: v.lag, ready: v.servers.filter((s) => s.ready).length, booting: v.servers.filter((s) => !s.ready).length, draining: 0, recentWork: v.recentWork, handlers: v.handlers, servers: v.servers, booted: v.booted, intervalMs: INTERVAL_S * 1000 });
    state = r.state;
    return { want: r.decision.desired, removable: r.decision.removable };
  };
}
// knows the future: every server is ready the moment the work appears and is stopped the moment it is
// not needed; as many as clear the backlog within IDEAL_CLEAR_S, checked every second
const oracle: Sizer = (v) => ({ want: Math.min(policy.max, Math.ceil(v.backlogS / IDEAL_CLEAR_S - 1e-9)) });

const small = Math.max(1, Math.round(policy.max / 5));
const ideal = simulate(`ideal (knows the future: no boot wait, no idle tail)`, trace, oracle, 0, 1);
const clair = clairvoyant(ideal, BOOT_S);
const pol = simulate(`policy (boot ${BOOT_S}s, clear ${policy.clearMs! / 1000}s, cool-down ${policy.cooldownMs / 1000}s, idle ${policy.idleMs / 1000}s)`, trace, policySizer(policy), BOOT_S, INTERVAL_S);
const results = [
  pol,
  simulate(`fixed fleet of ${policy.max}`, trace, () => ({ want: policy.max }), 0, 1, policy.max),
  simulate(`fixed fleet of ${small}`, trace, () => ({ want: small }), 0, 1, small),
  clair,
  ideal,
];

console.log(`trace ${TRACE}: ${HOURS} h, ${jobs} jobs, ${Math.round(workS / 60)} server-minutes of work (seed ${SEED}); boot ${BOOT_S}s; max ${policy.max}; interval ${INTERVAL_S}s; billed per second, ${BILL_MIN_S}s minimum${policy.billingIncrementMs ? `, increments of ${policy.billingIncrementMs / 1000}s` : ""}`);
console.log("");
console.log(`| fleet | server-minutes | billed minutes | worst wait | p95 wait | mean wait | peak | servers created |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|---:|`);
for (const r of results) {
  console.log(`| ${r.name} | ${r.serverMinutes} | ${r.billedMinutes} | ${r.worstWaitS}s | ${r.p95WaitS}s | ${r.meanWaitS}s | ${r.peak} | ${r.creates} |`);
}
const ratio = pol.serverMinutes / clair.serverMinutes;
const waitBound = clair.worstWaitS + BOOT_S;
console.log("");
console.log(`goal: policy <= 1.5x clairvoyant server-minutes: ${pol.serverMinutes} / ${clair.serverMinutes} = ${ratio.toFixed(2)}x ${ratio <= 1.5 ? "MET" : "NOT MET"}`);
console.log(`goal: policy worst wait <= clairvoyant worst + one boot: ${pol.worstWaitS}s <= ${clair.worstWaitS}s + ${BOOT_S}s = ${waitBound}s ${pol.worstWaitS <= waitBound ? "MET" : "NOT MET"}`);
