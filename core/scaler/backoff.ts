// Retry delays for a flaky HTTP API: a pure function of the attempt number (and a random draw passed in).

/** How retries of a failed call are spaced. */
export interface BackoffOptions {
  /** delay before the first retry, ms */
  baseMs: number;
  /** upper bound for one delay, ms */
  maxMs: number;
  /** growth per attempt */
  factor: number;
  /** fraction of the delay that is random (0 = none, 0.5 = ±25%) so many clients do not retry in step */
  jitter: number;
}

export const backoffDefaults: BackoffOptions = { baseMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * Delay before retry number `attempt` (1 = first retry). `random` is a draw in [0, 1),
 * passed in so the function stays pure and testable.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = backoffDefaults, random = 0.5): number {
  const n = Math.max(1, Math.floor(attempt));
  const raw = Math.min(opts.maxMs, opts.baseMs * opts.factor ** (n - 1));
  const spread = raw * opts.jitter;
  return Math.max(0, Math.round(raw - spread / 2 + spread * random));
}

/**
 * How long to wait after a 429, from DigitalOcean's `ratelimit-reset` header (unix seconds at which
 * the window resets). Falls back to `retry-after` (seconds) and then to `fallbackMs`.
 */
export function rateLimitWait(
  headers: { reset?: string | null; retryAfter?: string | null },
  nowMs: number,
  fallbackMs: number,
): number {
  const reset = Number(headers.reset);
  if (headers.reset && Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - nowMs);
  const after = Number(headers.retryAfter);
  if (headers.retryAfter && Number.isFinite(after) && after >= 0) return after * 1000;
  return fallbackMs;
}
