// The one backoff: the pure delay for each schedule, and the `retrying` loop around it.
import { describe, expect, test } from "bun:test";
import { apiRetryBackoff, backoffDelay, jobRetryBackoff, procRestartBackoff, retrying } from "../../core/runtime/util/backoff.ts";

describe("backoffDelay", () => {
  test("a proc's first restart comes well under a second", () => {
    for (const r of [0, 0.5, 0.999]) expect(backoffDelay(0, procRestartBackoff, r)).toBeLessThan(200);
  });

  test("without jitter each retry waits `factor` times longer than the one before, up to the cap", () => {
    const b = { ...procRestartBackoff, jitter: 0 };
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, b))).toEqual([100, 200, 400, 800, 1600]);
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, { initialMs: 100, factor: 2, maxMs: 500, jitter: 0 }))).toEqual([100, 200, 400, 500]);
    expect([0, 1, 6, 7].map((n) => backoffDelay(n, jobRetryBackoff))).toEqual([1000, 2000, 60_000, 60_000]);
  });

  test("the delay never passes the cap, even after very many failures", () => {
    expect(backoffDelay(20, procRestartBackoff, 0.999)).toBe(procRestartBackoff.maxMs);
    expect(backoffDelay(10_000, procRestartBackoff)).toBe(procRestartBackoff.maxMs);
    expect(Number.isFinite(backoffDelay(1e9, procRestartBackoff, 0))).toBe(true);
  });

  test("jitter spreads the delay by ± its fraction", () => {
    expect(backoffDelay(3, procRestartBackoff, 0)).toBe(640); // 800 - 20%
    expect(backoffDelay(3, procRestartBackoff, 0.5)).toBe(800);
    expect(backoffDelay(3, procRestartBackoff, 1)).toBe(960); // 800 + 20%
    expect(backoffDelay(2, apiRetryBackoff, 0)).toBe(1500); // 2000 - 25%
    expect(backoffDelay(2, apiRetryBackoff, 0.999)).toBeLessThanOrEqual(2500);
  });

  test("nonsense inputs are clamped instead of producing negative or NaN delays", () => {
    expect(backoffDelay(-3, procRestartBackoff, -1)).toBe(80);
    expect(backoffDelay(0, procRestartBackoff, 5)).toBe(120);
    expect(backoffDelay(Number.NaN, procRestartBackoff)).toBe(100);
  });
});

describe("retrying", () => {
  const tiny = { initialMs: 1, factor: 1, maxMs: 1, jitter: 0 };

  test("calls again after retryable failures and returns the first success", async () => {
    const seen: number[] = [];
    const out = await retrying(
      async (retry) => {
        seen.push(retry);
        if (retry < 2) throw new Error("busy");
        return "done";
      },
      { backoff: tiny, retryable: () => true },
    );
    expect(out).toBe("done");
    expect(seen).toEqual([0, 1, 2]);
  });

  test("a failure that is not retryable ends it with that error", async () => {
    let calls = 0;
    const p = retrying(
      async () => {
        calls++;
        throw new Error(calls === 1 ? "busy" : "denied");
      },
      { backoff: tiny, retryable: (e) => (e as Error).message === "busy" },
    );
    await expect(p).rejects.toThrow("denied");
    expect(calls).toBe(2);
  });

  test("maxRetries bounds the calls; the last error is thrown", async () => {
    let calls = 0;
    const retries: number[] = [];
    const p = retrying(
      async () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      { backoff: tiny, retryable: () => true, maxRetries: 3, onRetry: (_e, _ms, n) => retries.push(n) },
    );
    await expect(p).rejects.toThrow("fail 4");
    expect(retries).toEqual([0, 1, 2]);
  });
});
