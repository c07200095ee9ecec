// Retry spacing and rate-limit waits for the DigitalOcean client: pure functions.
import { expect, test } from "bun:test";
import { backoffDelay, rateLimitWait } from "../../core/scaler/backoff.ts";

test("backoff grows by the factor, is capped, and jitter stays within its spread", () => {
  const o = { baseMs: 100, maxMs: 1000, factor: 2, jitter: 0 };
  expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
  const j = { ...o, jitter: 0.5 };
  expect(backoffDelay(3, j, 0)).toBe(300);
  expect(backoffDelay(3, j, 0.999)).toBeLessThanOrEqual(500);
});

test("a 429 waits until ratelimit-reset, else retry-after, else the fallback", () => {
  expect(rateLimitWait({ reset: "1000" }, 999_000, 5)).toBe(1000);
  expect(rateLimitWait({ reset: "10" }, 999_000, 5)).toBe(0);
  expect(rateLimitWait({ retryAfter: "2" }, 0, 5)).toBe(2000);
  expect(rateLimitWait({}, 0, 5)).toBe(5);
});
