// Restart backoff: exponential with jitter and a cap. Pure: the caller passes the attempt and a random number.

/** How long to wait before restarting a proc that died. */
export interface BackoffOptions {
  /** delay before the first restart, ms (kept well under a second so one crash costs little) */
  initialMs: number;
  /** each further consecutive restart waits this many times longer */
  factor: number;
  /** the delay never exceeds this, ms */
  maxMs: number;
  /** +/- this fraction of the delay is randomised, so procs that died together do not restart in lockstep */
  jitter: number;
}

export const backoffDefaults: BackoffOptions = {
  initialMs: 100,
  factor: 2,
  maxMs: 30_000,
  jitter: 0.2,
};

/**
 * The delay before restart number `attempt` (0 = first restart after a stable run).
 * `random` is a number in [0, 1) (Math.random() in production, fixed in tests).
 */
export function backoffDelay(attempt: number, random: number, opts: BackoffOptions = backoffDefaults): number {
  const n = Math.max(0, Math.floor(attempt));
  // Cap the exponent before Math.pow so a proc that failed a thousand times cannot overflow to Infinity.
  const base = Math.min(opts.maxMs, opts.initialMs * Math.pow(opts.factor, Math.min(n, 64)));
  const r = Math.min(Math.max(random, 0), 1);
  const spread = base * opts.jitter * (2 * r - 1);
  return Math.round(Math.min(opts.maxMs, Math.max(0, base + spread)));
}
