// How long to wait after DigitalOcean says 429: a pure function of its headers and the clock.

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
