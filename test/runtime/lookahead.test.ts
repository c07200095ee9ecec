// How many jobs a proc fetches ahead of its free slots: only for short jobs, bounded, and never with --max-jobs.
import { expect, test } from "bun:test";
import { lookahead, lookaheadDefaults } from "../../core/runtime/worker/loop.ts";

test("short jobs get jobs fetched ahead, at most the concurrency and the cap", () => {
  const many = lookaheadDefaults.afterJobs;
  expect(lookahead({ concurrency: 1, jobs: many, meanMs: 0.2 })).toBe(1);
  expect(lookahead({ concurrency: 4, jobs: many, meanMs: 1 })).toBe(4);
  expect(lookahead({ concurrency: 64, jobs: 10_000, meanMs: 0 })).toBe(lookaheadDefaults.max);
});

test("long jobs, a handler not yet measured, and a proc with --max-jobs fetch nothing ahead", () => {
  expect(lookahead({ concurrency: 1, jobs: 1_000, meanMs: lookaheadDefaults.belowMs })).toBe(0);
  expect(lookahead({ concurrency: 4, jobs: 1_000, meanMs: 1_000 })).toBe(0);
  expect(lookahead({ concurrency: 4, jobs: lookaheadDefaults.afterJobs - 1, meanMs: 0 })).toBe(0);
  expect(lookahead({ concurrency: 4, jobs: 1_000, meanMs: 0, maxJobs: 100 })).toBe(0);
});
