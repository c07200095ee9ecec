// The scaling policy: how many worker servers we want, as a pure function of what the manager saw on
// each tick (lag, what arrived and was done per handler, the fleet with its creation times) and what it
// learnt on the ticks before (each handler's cost per job on one server, the boot time, the idle gaps).
//
// It is boot-aware and cost-aware:
// - the backlog is measured in server-seconds of work (each handler's jobs at its measured cost), not
//   in jobs; a server is created only when the servers there are (ready ones now, booting ones from
//   when they will serve) cannot clear the backlog and what arrives meanwhile within one boot plus
//   `clearMs`: a server that would be ready after the work is gone is never bought;
// - a server is kept until the billing increment it is paid for is used (`billingIncrementMs`,
//   `billingMinimumMs`): removing it earlier saves nothing;
// - while jobs wait, no server is removed (they are all busy); once the backlog is gone, servers beyond
//   what the arrival rate needs go at once (after a short `cooldownMs` against one odd reading);
// - the last server goes (down to `min`) only when the idle gap to expect is longer than a boot
//   (re-creating is then cheaper than waiting idle), or after `idleMs` with no work at all. The gap
//   to expect is trusted only once `MIN_GAPS` gaps were seen: from one or two it is noise (a user's
//   second job a few seconds after the first made a fresh manager drain its only worker at once).

/** Policy knobs. All durations are milliseconds. */
export interface PolicyOptions {
  /** never fewer servers than this (0 allows scale to zero) */
  min: number;
  /** never more servers than this, counting booting and draining ones */
  max: number;
  /**
   * before a handler's cost per job is measured (no server has worked a backlog of it yet), one
   * server is assumed to clear this many of its jobs in `clearMs`
   */
  jobsPerWorker: number;
  /** with no work at all for this long, go down to `min` whatever the idle gaps looked like */
  idleMs: number;
  /** a server is removed only when it was surplus on every tick of the last `cooldownMs` */
  cooldownMs: number;
  /** boot time (create → worker registered) assumed until one is measured */
  bootMs?: number;
  /** once a new server is ready, the fleet should clear the backlog within this long */
  clearMs?: number;
  /** a server is paid in increments of this long (0: per second) ... */
  billingIncrementMs?: number;
  /** ... with this minimum (DigitalOcean: per second, 60 s minimum) */
  billingMinimumMs?: number;
}

export const policyDefaults: PolicyOptions = {
  min: 0,
  max: 10,
  jobsPerWorker: 20,
  idleMs: 120_000,
  cooldownMs: 15_000,
  bootMs: 60_000,
  clearMs: 30_000,
  billingIncrementMs: 0,
  billingMinimumMs: 0,
};

/** DigitalOcean bills a droplet per second with a 60 s minimum. */
export const digitalOceanBilling = { billingIncrementMs: 0, billingMinimumMs: 60_000 };

/** What the policy remembers between ticks. Plain data: the manager keeps it, tests build it. */
export interface PolicyState {
  /** first tick seen: a fresh manager waits one cool-down before its first step down */
  startedAt: number | null;
  /** last time lag was above zero or work was seen (or when the policy first ran) */
  lastBusyAt: number | null;
  /** last time the policy asked for more servers */
  lastUpAt: number | null;
  /** last time the policy asked for fewer servers */
  lastDownAt: number | null;
  /** servers wanted at each tick of the last cool-down: a step down needs all of them below the fleet */
  window: { at: number; wanted: number }[];
  /** the previous tick (time, ready servers, jobs waiting), for the throughput measure */
  prev?: { at: number; ready: number; pending: number; lag: number };
  /** measured server-seconds one job of each handler costs (a server's throughput is its inverse) */
  cost?: Record<string, number>;
  /** measured boot time, ms (create → registered), smoothed */
  bootMs?: number;
  /** work that arrived on each tick of the last window (server-seconds over `ms`), for the arrival rate */
  arrivals?: { at: number; work: number; ms: number }[];
  /** last tick on which jobs arrived */
  lastArrivalAt?: number;
  /**
   * decayed sums of the idle gaps between arrivals (Σg, Σg²), ms: the expected remaining gap is Σg²/2Σg;
   * `n`: how many gaps were seen (not decayed), the estimate is used from `MIN_GAPS` on
   */
  gaps?: { s1: number; s2: number; n: number };
}

export const initialPolicyState: PolicyState = { startedAt: null, lastBusyAt: null, lastUpAt: null, lastDownAt: null, window: [] };

/** One handler on one tick: its lag now, and what arrived and was done since the previous tick. */
export interface HandlerSample {
  handler: string;
  /** jobs waiting + in flight */
  lag: number;
  /** jobs waiting (not delivered to any worker) */
  pending: number;
  /** jobs that arrived since the previous tick */
  arrived: number;
  /** jobs finished since the previous tick */
  completed: number;
}

/** One live server (ready or booting) as the policy needs it. */
export interface ServerSample {
  id: string;
  /** creation time, ms */
  createdAt: number;
  /** its worker registered */
  ready: boolean;
}

/** What the manager sees on one tick. */
export interface PolicyInput {
  /** the clock, ms */
  now: number;
  /** total lag over all handlers: jobs waiting + jobs in flight */
  lag: number;
  /** servers up and running */
  ready: number;
  /** servers created but not yet running: they count as capacity from when they will serve */
  booting: number;
  /** servers being drained: no longer capacity, but still count against `max` */
  draining: number;
  /**
   * jobs were delivered since the last tick although the lag reads 0 now: short jobs done between
   * two samples. Counts as busy for the idle timer, so a slow drip does not scale to zero and back.
   */
  recentWork?: boolean;
  /** per handler (the measure of throughput and arrivals); without it every job costs clearMs/jobsPerWorker */
  handlers?: HandlerSample[];
  /** the ready and booting servers with their creation times (billing, when a booting one serves) */
  servers?: ServerSample[];
  /** boot times (create → registered, ms) of servers whose worker registered since the previous tick */
  booted?: number[];
  /** time to the next tick, ms (a server whose paid increment ends before then is removable now) */
  intervalMs?: number;
}

/** The policy's answer: how many servers (ready + booting) we want, and why. */
export interface Decision {
  /** wanted number of ready + booting servers */
  desired: number;
  /** desired - (ready + booting): > 0 create, < 0 drain and delete */
  delta: number;
  /** one line for the log (numbers in it change every tick: never a metric label) */
  reason: string;
  /** a short fixed word for the decision's cause (a metric label): see `DecisionCause` */
  cause: DecisionCause;
  /** when delta < 0: the servers whose paid time is used, from which the victims are to be picked */
  removable?: string[];
  /** what the policy works with now (for logs, metrics and the bench) */
  estimate?: { backlogS: number; arrivalRate: number; bootMs: number; expectedGapMs: number | null };
}

export type DecisionCause = "above-max" | "below-min" | "backlog" | "max-full" | "idle" | "surplus" | "steady" | "billing" | "cooldown";

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/** Servers needed for a lag, before min/max, at `jobsPerWorker` each (the sizing before any measure). */
export function serversFor(lag: number, jobsPerWorker: number): number {
  if (lag <= 0) return 0;
  return Math.ceil(lag / Math.max(1, jobsPerWorker));
}

/** When a server's paid time ends: its creation plus the billing minimum, or the end of its current increment. */
export function paidUntil(createdAt: number, now: number, o: Pick<PolicyOptions, "billingIncrementMs" | "billingMinimumMs">): number {
  const min = o.billingMinimumMs ?? 0;
  const inc = o.billingIncrementMs ?? 0;
  const age = now - createdAt;
  if (age < min) return createdAt + min;
  if (inc <= 0) return now;
  return createdAt + Math.max(min, Math.ceil(age / inc) * inc);
}

/** Smoothing of measures: each new sample moves the estimate this far toward it. */
const ALPHA = 0.3;
/** How far one saturated tick moves the cost per job toward explaining the server time. */
const LMS_RATE = 0.5;
/** Each new idle gap weighs the older ones down by this factor (the last ~30 gaps count). */
const GAP_DECAY = 0.97;
/**
 * The idle gap to expect is used once this many gaps were seen; before that the last server stays
 * until `idleMs` (the user's own bound), as a handler's cost is assumed from `jobsPerWorker` until it
 * is measured. One gap g gives g/2: two jobs of one user 4 s apart, with a 1 s local boot, read as
 * "re-creating is cheaper" and the only worker was drained a moment after its job.
 */
export const MIN_GAPS = 3;
/** The arrival rate is taken over this long at least (or one boot, if longer). */
const RATE_WINDOW_MS = 60_000;
/** A server kept for the arrival rate is planned at this share of its capacity. */
const UTILISATION = 0.85;

/** Learns from one tick: boot times, cost per job, arrivals and idle gaps (pure). */
export function observe(opts: PolicyOptions, state: PolicyState, input: PolicyInput): PolicyState {
  const o = { ...policyDefaults, ...opts };
  const { now } = input;
  const next: PolicyState = { ...state };
  for (const b of input.booted ?? []) {
    // a slower boot than expected counts more: under-estimating it makes jobs wait
    const a = next.bootMs === undefined ? 1 : b > next.bootMs ? 0.5 : ALPHA;
    next.bootMs = next.bootMs === undefined ? b : next.bootMs + a * (b - next.bootMs);
  }
  const hs = input.handlers;
  const pending = hs ? hs.reduce((a, h) => a + h.pending, 0) : input.lag;
  const prev = state.prev;
  const cost: Record<string, number> = { ...state.cost };
  // throughput: over a tick that ended with jobs waiting that were there before it began (more wait
  // than arrived since), jobs waited all along, so every ready server worked all along
  const arrivedJobs = hs ? hs.reduce((a, h) => a + h.arrived, 0) : Math.max(0, input.lag - (prev?.lag ?? 0));
  const saturated = !!prev && prev.pending > 0 && pending > arrivedJobs;
  if (hs && prev && saturated && now > prev.at) {
    const serverS = (Math.min(prev.ready, input.ready) * (now - prev.at)) / 1000;
    const done = hs.filter((h) => h.completed > 0);
    const n = done.reduce((a, h) => a + h.completed, 0);
    if (serverS > 0 && n > 0) {
      // a handler seen for the first time gets the server time the known ones leave (or an equal share)
      const unknown = done.filter((h) => cost[h.handler] === undefined);
      if (unknown.length) {
        const knownS = done.reduce((a, h) => a + (cost[h.handler] === undefined ? 0 : h.completed * cost[h.handler]!), 0);
        const left = serverS - knownS > serverS * 0.1 ? serverS - knownS : serverS;
        const each = left / unknown.reduce((a, h) => a + h.completed, 0);
        for (const h of unknown) cost[h.handler] = each;
      }
      // then normalised least mean squares: Σ completed_h × cost_h should equal the server time; each
      // tick's mix of handlers moves each cost by its share of the error (different mixes tell them apart)
      const err = serverS - done.reduce((a, h) => a + h.completed * cost[h.handler]!, 0);
      const norm = done.reduce((a, h) => a + h.completed * h.completed, 0);
      for (const h of done) cost[h.handler] = Math.max(cost[h.handler]! * 0.1, cost[h.handler]! + (LMS_RATE * err * h.completed) / norm);
    }
  }
  // not saturated: the servers did this work in at most their time, so no job costs more than that
  if (hs && prev && !saturated && now > prev.at) {
    const serverS = (Math.min(prev.ready, input.ready) * (now - prev.at)) / 1000;
    const n = hs.reduce((a, h) => a + h.completed, 0);
    if (serverS > 0 && n > 0) {
      const bound = serverS / n;
      for (const h of hs) if (h.completed > 0 && (cost[h.handler] ?? Infinity) > bound) cost[h.handler] = bound;
    }
  }
  next.cost = cost;
  // arrivals and idle gaps
  const arrivedWork = hs ? hs.reduce((a, h) => a + h.arrived * jobCost(o, next, h.handler), 0) : arrivedJobs * jobCost(o, next, "");
  const window = Math.max(RATE_WINDOW_MS, next.bootMs ?? o.bootMs!);
  const dt = prev ? now - prev.at : 0;
  next.arrivals = [...(state.arrivals ?? []).filter((x) => now - x.at < window), ...(dt > 0 ? [{ at: now, work: arrivedWork, ms: dt }] : [])];
  if (arrivedJobs > 0 || input.recentWork) {
    if (state.lastArrivalAt !== undefined) {
      const g = now - state.lastArrivalAt;
      const s = state.gaps ?? { s1: 0, s2: 0, n: 0 };
      // work on the tick before too (jobs waiting, or deliveries): the same busy spell, not an idle gap.
      // It still weighs in the sums (busy time is short gaps), but only gaps with an idle tick in them
      // count toward MIN_GAPS: one job seen on two ticks (queued, then done) made two "gaps", so a user's second job reached
      // MIN_GAPS and `docctl up` drained its only worker at once, whatever --idle said.
      const idleBetween = state.prev === undefined || (state.lastBusyAt ?? null) !== state.prev.at;
      next.gaps = { s1: s.s1 * GAP_DECAY + g, s2: s.s2 * GAP_DECAY + g * g, n: s.n + (idleBetween ? 1 : 0) };
    }
    next.lastArrivalAt = now;
  }
  next.prev = { at: now, ready: input.ready, pending, lag: input.lag };
  return next;
}

/** The horizon a new server is bought for, seconds: one boot, then `clearMs` of work. */
function horizonS(o: PolicyOptions, state: PolicyState): number {
  return ((state.bootMs ?? o.bootMs ?? policyDefaults.bootMs!) + (o.clearMs ?? policyDefaults.clearMs!)) / 1000;
}

/**
 * Server-seconds one job of `handler` costs: measured, or before any measure what makes one server
 * per `jobsPerWorker` jobs clear them within the horizon (the sizing `ceil(lag / jobsPerWorker)`).
 */
function jobCost(o: PolicyOptions, state: PolicyState, handler: string): number {
  return state.cost?.[handler] ?? horizonS(o, state) / Math.max(1, o.jobsPerWorker);
}

/**
 * The steady arrival rate (server-seconds of work per second): the median of the last window's ticks,
 * so a burst (a few ticks) is the backlog's business and not taken for a stream that will go on.
 */
export function steadyRate(ticks: { work: number; ms: number }[], windowMs: number): number {
  if (!ticks.length) return 0;
  // a window not yet full (a manager just started) counts its missing ticks as quiet ones
  const tickMs = ticks.reduce((a, x) => a + x.ms, 0) / ticks.length;
  const missing = Math.max(0, Math.round(windowMs / tickMs) - ticks.length);
  const r = [...ticks.map((x) => x.work / (x.ms / 1000)), ...new Array<number>(missing).fill(0)].sort((a, b) => a - b);
  const m = r.length >> 1;
  return r.length % 2 ? r[m]! : (r[m - 1]! + r[m]!) / 2;
}

/** The idle gap to expect from a random moment, ms (null before `MIN_GAPS` gaps between arrivals were seen). */
export function expectedGapMs(state: PolicyState): number | null {
  const g = state.gaps;
  if (!g || g.s1 <= 0 || g.n < MIN_GAPS) return null;
  return g.s2 / (2 * g.s1);
}

/**
 * Decide the wanted fleet size (see the top of this file). Never past `max` counting draining
 * servers; never below `min`.
 */
export function decide(opts: PolicyOptions, state: PolicyState, input: PolicyInput): { decision: Decision; state: PolicyState } {
  const o = { ...policyDefaults, ...opts };
  const { now, lag } = input;
  const current = input.ready + input.booting;
  const next = observe(o, state, input);
  if (next.startedAt === null) next.startedAt = now;
  const pending = next.prev!.pending;
  if (lag > 0 || input.recentWork || next.lastBusyAt === null) next.lastBusyAt = now;
  const max = Math.max(0, o.max);
  const min = clamp(o.min, 0, max);
  const cap = Math.max(0, max - input.draining);
  const interval = input.intervalMs ?? 5_000;

  const bootMs = next.bootMs ?? o.bootMs!;
  const bootS = bootMs / 1000;
  const H = horizonS(o, next);
  const backlogS = input.handlers ? input.handlers.reduce((a, h) => a + h.lag * jobCost(o, next, h.handler), 0) : lag * jobCost(o, next, "");
  // jobs of a handler whose cost is not measured yet: sized as one server per jobsPerWorker, booting ones counted in full
  const unmeasured = input.handlers ? input.handlers.some((h) => h.lag > 0 && next.cost?.[h.handler] === undefined) : true;
  const arrivalRate = steadyRate(next.arrivals ?? [], Math.max(RATE_WINDOW_MS, bootMs)); // server-seconds per second
  const gap = expectedGapMs(next);
  const estimate = { backlogS: Math.round(backlogS * 10) / 10, arrivalRate: Math.round(arrivalRate * 1000) / 1000, bootMs: Math.round(bootMs), expectedGapMs: gap === null ? null : Math.round(gap) };

  // servers as the policy sees them: given, or made up from the counts
  const servers: ServerSample[] = input.servers ?? [
    ...Array.from({ length: input.ready }, (_, i) => ({ id: `ready-${i}`, createdAt: -Infinity, ready: true })),
    ...Array.from({ length: input.booting }, (_, i) => ({ id: `booting-${i}`, createdAt: now, ready: false })),
  ];
  // what the fleet there is can do within the horizon: ready servers all of it, booting ones from when they serve
  const capacityS = servers.reduce((a, s) => a + (s.ready ? H : Math.max(0, H - Math.max(interval / 1000, (s.createdAt + bootMs - now) / 1000))), 0);
  const needS = backlogS + arrivalRate * H;
  const idleFor = now - next.lastBusyAt!;
  const steadyServers = arrivalRate > 0 ? Math.ceil(arrivalRate / UTILISATION) : 0;
  const backlogServers = needS > 0 ? Math.ceil(needS / H) : 0;
  // the last server: kept while busy, and while idle as long as the gap to expect is shorter than a boot
  const zero = idleFor >= o.idleMs || (gap !== null && gap > bootMs && arrivalRate === 0 && lag === 0);
  const floor = lag > 0 || !zero ? Math.min(1, current) : 0;
  const keep = clamp(Math.max(min, backlogServers, steadyServers, floor), 0, max);
  next.window = [...state.window.filter((w) => now - w.at < o.cooldownMs), { at: now, wanted: keep }];
  const stable = Math.max(...next.window.map((w) => w.wanted));

  const out = (desired: number, cause: DecisionCause, reason: string, removable?: string[]) => {
    if (desired > current) next.lastUpAt = now;
    if (desired < current) next.lastDownAt = now;
    return { decision: { desired, delta: desired - current, reason, cause, removable, estimate }, state: next };
  };
  const secs = (ms: number) => `${Math.round(ms / 1000)}s`;
  const work = `backlog ${Math.round(backlogS)} server-s, arrivals ${arrivalRate.toFixed(2)} server-s/s`;

  if (current > max) return out(max, "above-max", `${current} servers is above --max ${max}`, servers.map((s) => s.id));
  if (current < min) {
    const d = Math.min(min, Math.max(current, cap));
    return out(d, "below-min", d > current ? `below --min ${min}` : `below --min ${min}, waiting for ${input.draining} draining`);
  }
  const short = unmeasured ? backlogServers > current : needS > capacityS + 1e-9;
  if (short && (lag > 0 || arrivalRate > 0)) {
    const want = unmeasured ? backlogServers : current + Math.ceil((needS - capacityS) / (H - bootS));
    const d = Math.max(current, Math.min(want, cap));
    if (d === current) return out(current, "max-full", `${work}: wants ${want} servers, but --max ${max} is full (${input.draining} draining)`);
    if (unmeasured) return out(d, "backlog", `lag ${lag} needs ${want} server(s) at ${o.jobsPerWorker} jobs each (throughput not measured yet); have ${current} (${input.booting} booting)`);
    return out(d, "backlog", `${work}: ${current} server(s) (${input.booting} booting, boot ${secs(bootMs)}) cannot clear it within ${secs(H * 1000)}`);
  }
  // removals: never while jobs wait (every server is busy), never a server whose paid time is not used;
  // surplus after the cool-down, down to min at once when idle (that decision has waited already)
  const idleDown = zero && keep === min && lag <= 0;
  const target = idleDown ? keep : stable;
  if (target < current && pending <= 0) {
    const removable = servers.filter((s) => paidUntil(s.createdAt, now, o) <= now + interval).map((s) => s.id);
    const lastChange = Math.max(next.lastUpAt ?? -Infinity, next.startedAt);
    const why = idleDown ? `no work for ${secs(idleFor)}${gap !== null && gap > bootMs ? ` (idle gaps of ${secs(gap)} expected, boot ${secs(bootMs)})` : ""}` : `${work} needs ${keep}`;
    if (!idleDown && now - lastChange < o.cooldownMs) return out(current, "cooldown", `${why}; keeping ${current} through the cool-down`);
    if (!removable.length) return out(current, "billing", `${why}; keeping ${current}: their paid time is not used yet`);
    const d = Math.max(target, current - removable.length);
    return out(d, idleDown ? "idle" : "surplus", `${why}; removing ${current - d} of ${current}`, removable);
  }
  return out(current, "steady", lag > 0 ? `${work}: ${current} server(s) clear it within ${secs(H * 1000)}` : `no lag for ${secs(idleFor)}; keeping ${current}`);
}
