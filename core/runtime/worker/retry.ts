// The retry schedule: a pure function of the attempt number.

/** How retryable failures are spaced. */
export interface RetryPolicy {
  /** delay before the first retry, ms */
  baseMs: number;
  /** growth per attempt */
  factor: number;
  /** upper bound of one delay, ms */
  maxMs: number;
}

export const retryDefaults: RetryPolicy = { baseMs: 1000, factor: 2, maxMs: 60_000 };

/** Delay before the next delivery after attempt `attempt` (1-based) failed: base·factor^(attempt-1), capped. */
export function retryDelay(attempt: number, p: RetryPolicy = retryDefaults): number {
  const d = p.baseMs * Math.pow(p.factor, Math.max(0, attempt - 1));
  return Math.min(p.maxMs, Math.round(d));
}
