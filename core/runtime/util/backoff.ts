// The one backoff of docctl: how long to wait before retry number n (pure), the schedules each part
// uses, and `retrying`, the loop that calls something again while its failures are worth retrying.
import { sleep } from "./sleep.ts";

/** How retries are spaced: `initialMs · factor^n`, capped at `maxMs`, spread by ± `jitter`. */
export interface Backoff {
  /** delay before the first retry, ms */
  initialMs: number;
  /** each further retry waits this many times longer */
  factor: number;
  /** no delay exceeds this, ms */
  maxMs: number;
  /** ± this fraction of the delay is random (0.2 = ±20%), so many that failed together do not retry in step */
  jitter: number;
}

/** A worker proc that died is restarted after this (the supervisor): the first restart well under a second. */
export const procRestartBackoff: Backoff = { initialMs: 100, factor: 2, maxMs: 30_000, jitter: 0.2 };
/** A job that failed with a retryable error is redelivered after this (JetStream nak delay). */
export const jobRetryBackoff: Backoff = { initialMs: 1_000, factor: 2, maxMs: 60_000, jitter: 0 };
/** A publish that timed out while the NATS server restarts or a cluster elects a stream leader. */
export const natsPublishBackoff: Backoff = { initialMs: 100, factor: 2, maxMs: 2_000, jitter: 0.2 };
/** Stream and consumer set-up at start while NATS recovers: patient, since there is nothing else to do. */
export const natsSetupBackoff: Backoff = { initialMs: 250, factor: 2, maxMs: 5_000, jitter: 0.2 };
/** A result the server has no room to store (disk or limits full): the job is held and tried every 5 s. */
export const storeFullBackoff: Backoff = { initialMs: 5_000, factor: 1, maxMs: 5_000, jitter: 0 };
/** A call to an outside HTTP API (DigitalOcean) that failed with a 5xx or a network error. */
export const apiRetryBackoff: Backoff = { initialMs: 500, factor: 2, maxMs: 30_000, jitter: 0.25 };

/**
 * The delay before retry number `retry` (0 = the first retry). `random` in [0, 1] feeds the jitter
 * (0.5 = none; Math.random() in production, fixed in tests). Nonsense inputs are clamped.
 */
export function backoffDelay(retry: number, b: Backoff, random = 0.5): number {
  const n = Math.max(0, Math.floor(retry) || 0);
  // The exponent is capped before Math.pow so a thousand failures cannot overflow to Infinity.
  const base = Math.min(b.maxMs, b.initialMs * Math.pow(b.factor, Math.min(n, 64)));
  const r = Math.min(Math.max(random, 0), 1);
  return Math.round(Math.min(b.maxMs, Math.max(0, base + base * b.jitter * (2 * r - 1))));
}

/** How `retrying` decides. */
export interface RetryingOptions {
  backoff: Backoff;
  /** true when the failure may go away (a timeout, a 503); false ends the retries with that error */
  retryable(err: unknown): boolean;
  /** give up (throw the last error) once the clock passes this, ms since the epoch */
  giveUpAt?: number;
  /** give up after this many retries */
  maxRetries?: number;
  /** told before each wait: for a log line */
  onRetry?(err: unknown, delayMs: number, retry: number): void;
  /** aborts the waits */
  signal?: AbortSignal;
}

/** Call `f` until it succeeds, waiting `backoffDelay` between retryable failures. */
export async function retrying<T>(f: (retry: number) => Promise<T>, o: RetryingOptions): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await f(retry);
    } catch (err) {
      const late = o.giveUpAt !== undefined && Date.now() > o.giveUpAt;
      if (!o.retryable(err) || late || (o.maxRetries !== undefined && retry >= o.maxRetries) || o.signal?.aborted) throw err;
      const ms = backoffDelay(retry, o.backoff, Math.random());
      o.onRetry?.(err, ms, retry);
      if (await sleep(ms, o.signal)) throw err;
    }
  }
}
