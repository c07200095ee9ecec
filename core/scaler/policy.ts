// The scaling policy: how many worker servers we want, as a pure function of lag, the fleet and the clock.

/** Policy knobs. All durations are milliseconds. */
export interface PolicyOptions {
  /** never fewer servers than this (0 allows scale to zero) */
  min: number;
  /** never more servers than this, counting booting and draining ones */
  max: number;
  /** lag one server is expected to absorb: desired = ceil(lag / jobsPerWorker) */
  jobsPerWorker: number;
  /** with no lag at all for this long, go straight down to `min` */
  idleMs: number;
  /** while there is still lag, wait this long after any change before removing one more server */
  cooldownMs: number;
}

export const policyDefaults: PolicyOptions = {
  min: 0,
  max: 10,
  jobsPerWorker: 20,
  idleMs: 120_000,
  cooldownMs: 60_000,
};

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
}

export const initialPolicyState: PolicyState = { startedAt: null, lastBusyAt: null, lastUpAt: null, lastDownAt: null, window: [] };

/** What the manager sees on one tick. */
export interface PolicyInput {
  /** the clock, ms */
  now: number;
  /** total lag over all handlers: jobs waiting + jobs in flight */
  lag: number;
  /** servers up and running */
  ready: number;
  /** servers created but not yet running: they count as capacity so nothing is created twice */
  booting: number;
  /** servers being drained: no longer capacity, but still count against `max` */
  draining: number;
  /**
   * jobs were delivered since the last tick although the lag reads 0 now: short jobs done between
   * two samples. Counts as busy for the idle timer, so a slow drip does not scale to zero and back.
   */
  recentWork?: boolean;
}

/** The policy's answer: how many servers (ready + booting) we want, and why. */
export interface Decision {
  /** wanted number of ready + booting servers */
  desired: number;
  /** desired - (ready + booting): > 0 create, < 0 drain and delete */
  delta: number;
  /** one line for the log */
  reason: string;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/** Servers needed for a lag, before min/max. */
export function serversFor(lag: number, jobsPerWorker: number): number {
  if (lag <= 0) return 0;
  return Math.ceil(lag / Math.max(1, jobsPerWorker));
}

/**
 * Decide the wanted fleet size. Scales up at once (never past `max`, counting draining servers).
 * Scales down one server at a time, at most once per `cooldownMs`, and only when every tick of the
 * last `cooldownMs` wanted fewer servers than there are (so a sawtooth does not flap); while not
 * idle it keeps at least one. With no lag and no work for `idleMs` it goes straight to `min`.
 */
export function decide(opts: PolicyOptions, state: PolicyState, input: PolicyInput): { decision: Decision; state: PolicyState } {
  const { now, lag } = input;
  const current = input.ready + input.booting;
  const next: PolicyState = { ...state };
  if (next.startedAt === null) next.startedAt = now;
  if (lag > 0 || input.recentWork || next.lastBusyAt === null) next.lastBusyAt = now;
  const max = Math.max(0, opts.max);
  const min = clamp(opts.min, 0, max);
  // room left under max once the draining servers are counted
  const cap = Math.max(0, max - input.draining);
  const wanted = lag > 0 ? clamp(serversFor(lag, opts.jobsPerWorker), min, max) : min;
  const idleFor = now - next.lastBusyAt;
  const idle = lag <= 0 && idleFor >= opts.idleMs;
  // what this tick would keep if it could: while not idle, at least one server stays for the trickle
  const keep = lag > 0 ? wanted : idle ? min : Math.max(min, Math.min(1, max));
  next.window = [...state.window.filter((w) => now - w.at < opts.cooldownMs), { at: now, wanted: keep }];
  const stable = Math.max(...next.window.map((w) => w.wanted));

  const out = (desired: number, reason: string) => {
    if (desired > current) next.lastUpAt = now;
    if (desired < current) next.lastDownAt = now;
    return { decision: { desired, delta: desired - current, reason }, state: next };
  };
  const secs = (ms: number) => `${Math.round(ms / 1000)}s`;

  if (current > max) return out(max, `${current} servers is above --max ${max}`);
  if (current < min) {
    const d = Math.min(min, Math.max(current, cap));
    return out(d, d > current ? `below --min ${min}` : `below --min ${min}, waiting for ${input.draining} draining`);
  }
  if (wanted > current) {
    const d = Math.max(current, Math.min(wanted, cap));
    if (d === current) return out(current, `lag ${lag} wants ${wanted}, but ${input.draining} draining servers fill --max ${max}`);
    return out(d, `lag ${lag} needs ${wanted} server(s) at ${opts.jobsPerWorker} jobs each; have ${current} (${input.booting} booting)`);
  }
  if (idle && current > min) return out(min, `no lag for ${secs(idleFor)} (idle ${secs(opts.idleMs)}): down to ${min}`);
  if (stable < current) {
    const lastChange = Math.max(next.lastUpAt ?? -Infinity, next.lastDownAt ?? -Infinity, next.startedAt);
    const why = lag > 0 ? `lag ${lag} needs ${wanted}` : `no lag for ${secs(idleFor)} (scale to ${min} after ${secs(opts.idleMs)})`;
    if (now - lastChange >= opts.cooldownMs && keep < current) return out(current - 1, `${why}; removing one of ${current} after the cool-down`);
    return out(current, `${why}; keeping ${current} through the cool-down`);
  }
  return out(current, lag > 0 ? `lag ${lag}: ${current} server(s) is right` : `no lag for ${secs(idleFor)}; keeping ${current} (scale to ${min} after ${secs(opts.idleMs)})`);
}
