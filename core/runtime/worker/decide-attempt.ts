// What to do with a job before its handler runs and after it returns or throws: pure decisions, no I/O.
import { ErrorCodes, type WireError } from "../protocol/errors.ts";
import { describeEnds, type AttemptNotesV1 } from "../protocol/attempts.ts";
import type { Backoff } from "../util/backoff.ts";
import { retryDelayMs, type BackoffV1 } from "../util/job-backoff.ts";

/** How an attempt ended: the handler's value was encoded, or an error (thrown, or the value cannot be sent). */
export type AttemptEnd = { ok: true } | { ok: false; error: WireError };

export type AttemptDecision =
  /** store the result, then ack */
  | { action: "ack" }
  /** give it back for a later attempt */
  | { action: "nak"; delayMs: number }
  /** cancelled: a failed result, no dead letter */
  | { action: "cancelled"; error: WireError }
  /** failed for good: a dead letter and a failed result */
  | { action: "dead"; error: WireError };

/**
 * After the handler: ack with its result, retry after a delay, or end the job (cancelled or dead-lettered).
 * The delay is the job's backoff, else its handler's, else the worker's `retry`.
 */
export function decideAttempt(end: AttemptEnd, attempt: number, maxAttempts: number, retry: Backoff, backoff: { job?: BackoffV1; handler?: BackoffV1 } = {}): AttemptDecision {
  if (end.ok) return { action: "ack" };
  if (end.error.retryable && attempt < maxAttempts) return { action: "nak", delayMs: retryDelayMs(attempt, backoff.job, backoff.handler, retry) };
  return end.error.code === ErrorCodes.CANCELLED ? { action: "cancelled", error: end.error } : { action: "dead", error: end.error };
}

/**
 * Before the handler: run it, or end the job at once (cancelled while queued; out of attempts). `attempt`
 * is the attempt the ending is recorded under.
 */
export function decideBeforeRun(o: {
  cancelled: boolean;
  attempt: number;
  maxAttempts: number;
  delivery: number;
  notes?: AttemptNotesV1;
}): { action: "run" } | { action: "end"; error: WireError; attempt: number } {
  const { attempt, maxAttempts, delivery, notes } = o;
  if (o.cancelled) return { action: "end", error: { code: ErrorCodes.CANCELLED, message: "cancelled (docctl cancel) before it started", retryable: false }, attempt };
  if (attempt <= maxAttempts) return { action: "run" };
  const last = notes?.ended.at(-1);
  if (last && last.charged && last.cause === "watchdog" && last.delivery === delivery - 1) {
    // The last attempt ran past its limit with the event loop blocked: that is a TIMEOUT, said so.
    const error = {
      code: ErrorCodes.TIMEOUT,
      message: `attempt ${attempt - 1}/${maxAttempts} ran past its time limit and blocked its proc's event loop (synchronous work): ${last.message}`,
      retryable: false,
    };
    return { action: "end", error, attempt: attempt - 1 };
  }
  const ends = describeEnds(notes);
  const error = {
    code: ErrorCodes.ATTEMPTS_EXHAUSTED,
    message: ends
      ? `delivered ${delivery} times (${attempt - 1} attempts counted) but ${maxAttempts} attempts are allowed; how earlier deliveries ended: ${ends}`
      : `delivered ${attempt} times but ${maxAttempts} attempts are allowed: earlier attempts never finished (a proc died or lost its connection while running it)`,
    retryable: false,
  };
  return { action: "end", error, attempt };
}
