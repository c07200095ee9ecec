import { describe, expect, test } from "bun:test";
import { backoffDefaults, backoffDelay } from "../../core/runtime/util/backoff.ts";

describe("restart backoff", () => {
  test("the first restart comes well under a second", () => {
    for (const r of [0, 0.5, 0.999]) expect(backoffDelay(0, r)).toBeLessThan(200);
  });

  test("without jitter each restart waits twice as long as the one before", () => {
    const opts = { ...backoffDefaults, jitter: 0 };
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(a, 0.5, opts))).toEqual([100, 200, 400, 800, 1600]);
  });

  test("the delay never passes the cap, even after very many failures", () => {
    expect(backoffDelay(20, 0.999)).toBe(backoffDefaults.maxMs);
    expect(backoffDelay(10_000, 0.5)).toBe(backoffDefaults.maxMs);
    expect(Number.isFinite(backoffDelay(1e9, 0))).toBe(true);
  });

  test("jitter spreads the delay within the configured fraction", () => {
    expect(backoffDelay(3, 0)).toBe(640); // 800 - 20%
    expect(backoffDelay(3, 0.5)).toBe(800);
    expect(backoffDelay(3, 1)).toBe(960); // 800 + 20%
  });

  test("nonsense inputs are clamped instead of producing negative or NaN delays", () => {
    expect(backoffDelay(-3, -1)).toBe(80);
    expect(backoffDelay(0, 5)).toBe(120);
  });
});
