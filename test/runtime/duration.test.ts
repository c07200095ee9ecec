// Durations for people: rounded to the unit shown before being split, so no "1m60s".
import { expect, test } from "bun:test";
import { formatDuration } from "../../core/runtime/util/duration.ts";

test("each unit rolls over into the next instead of showing 60 of itself", () => {
  expect(formatDuration(119_700)).toBe("2m0s"); // was 1m60s
  expect(formatDuration(119_400)).toBe("1m59s");
  expect(formatDuration(59_960)).toBe("1m0s"); // was 60.0s
  expect(formatDuration(999.6)).toBe("1.0s"); // was 1000ms
  expect(formatDuration(7_199_999)).toBe("2h0m"); // was 1h60m
  expect(formatDuration(3_599_600)).toBe("1h0m"); // was 60m0s
});

test("ordinary values", () => {
  expect(formatDuration(0)).toBe("0ms");
  expect(formatDuration(250)).toBe("250ms");
  expect(formatDuration(1234)).toBe("1.2s");
  expect(formatDuration(125_000)).toBe("2m5s");
  expect(formatDuration(5_400_000)).toBe("1h30m");
  expect(formatDuration(-1500)).toBe("-1.5s");
});
