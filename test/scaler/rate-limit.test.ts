// Rate-limit waits for the DigitalOcean client: a pure function of the headers and the clock.
import { expect, test } from "bun:test";
import { rateLimitWait } from "../../core/scaler/rate-limit.ts";

test("a 429 waits until ratelimit-reset, else retry-after, else the fallback", () => {
  expect(rateLimitWait({ reset: "1000" }, 999_000, 5)).toBe(1000);
  expect(rateLimitWait({ reset: "10" }, 999_000, 5)).toBe(0);
  expect(rateLimitWait({ retryAfter: "2" }, 0, 5)).toBe(2000);
  expect(rateLimitWait({}, 0, 5)).toBe(5);
});
