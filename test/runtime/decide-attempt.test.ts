// What a worker does with a job before its handler runs and after it returns or throws (pure).
import { expect, test } from "bun:test";
import { decideAttempt, decideBeforeRun } from "../../core/runtime/worker/decide-attempt.ts";
import { ErrorCodes } from "../../core/runtime/protocol/errors.ts";
import type { AttemptNotesV1 } from "../../core/runtime/protocol/attempts.ts";

const retry = { initialMs: 1_000, factor: 2, maxMs: 60_000, jitter: 0 };
const err = (code: string, retryable: boolean) => ({ code, message: `${code} happened`, retryable });

test("a returned value is acked with its result", () => {
  expect(decideAttempt({ ok: true }, 1, 3, retry)).toEqual({ action: "ack" });
});

test("a retryable error is given back with the backoff's delay while attempts remain", () => {
  expect(decideAttempt({ ok: false, error: err("HANDLER_ERROR", true) }, 1, 3, retry)).toEqual({ action: "nak", delayMs: 1_000 });
  expect(decideAttempt({ ok: false, error: err("HANDLER_ERROR", true) }, 2, 3, retry)).toEqual({ action: "nak", delayMs: 2_000 });
});

test("the last attempt's retryable error and any final error are dead-lettered", () => {
  const e = err("HANDLER_ERROR", true);
  expect(decideAttempt({ ok: false, error: e }, 3, 3, retry)).toEqual({ action: "dead", error: e });
  const bad = err(ErrorCodes.BAD_PAYLOAD, false);
  expect(decideAttempt({ ok: false, error: bad }, 1, 3, retry)).toEqual({ action: "dead", error: bad });
});

test("a cancel ends the job without a dead letter", () => {
  const c = err(ErrorCodes.CANCELLED, false);
  expect(decideAttempt({ ok: false, error: c }, 1, 3, retry)).toEqual({ action: "cancelled", error: c });
});

test("before the run: a cancelled job never starts; one within its attempts runs", () => {
  const d = decideBeforeRun({ cancelled: true, attempt: 1, maxAttempts: 3, delivery: 1 });
  expect(d).toMatchObject({ action: "end", attempt: 1, error: { code: ErrorCodes.CANCELLED, retryable: false } });
  expect(decideBeforeRun({ cancelled: false, attempt: 3, maxAttempts: 3, delivery: 3 })).toEqual({ action: "run" });
});

test("before the run: out of attempts is ATTEMPTS_EXHAUSTED, or TIMEOUT when the watchdog ended the last one", () => {
  const plain = decideBeforeRun({ cancelled: false, attempt: 4, maxAttempts: 3, delivery: 4 });
  expect(plain).toMatchObject({ action: "end", attempt: 4, error: { code: ErrorCodes.ATTEMPTS_EXHAUSTED } });
  expect(plain.action === "end" && plain.error.message).toContain("delivered 4 times but 3 attempts are allowed");
  const notes = { v: 1, id: "j", ended: [{ delivery: 3, cause: "watchdog", charged: true, message: "blocked 30s", at: 0 }] } as unknown as AttemptNotesV1;
  const wd = decideBeforeRun({ cancelled: false, attempt: 4, maxAttempts: 3, delivery: 4, notes });
  expect(wd).toMatchObject({ action: "end", attempt: 3, error: { code: ErrorCodes.TIMEOUT, retryable: false } });
  expect(wd.action === "end" && wd.error.message).toContain("attempt 3/3 ran past its time limit");
});
