// Job files (`docctl submit job.json`) checked by their TypeBox schemas: each problem is said in the
// same words as before, at file:line:col of the place it is written.
import { describe, expect, test } from "bun:test";
import { parseJobFile } from "../../core/runtime/client/jobfile.ts";

const problem = (text: string) => {
  try {
    parseJobFile(text, "j.json");
    return "ok";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("job file schemas", () => {
  test("one job: an unknown key points at the key, a missing handler at the object, a bad value at the value", () => {
    expect(problem(`{"handler": "echo",\n "payload": {}, "atempts": 3}`)).toBe(
      `j.json:2:17: unknown key "atempts" in the job (expected one of: handler, payload, id, timeout_ms, attempts, delay, run_at, priority, backoff, keep_result, keep_failed, lifo)`,
    );
    expect(problem(`  {"payload": {}}`)).toBe(`j.json:1:3: the job has no "handler": name the job type, e.g. "handler": "pdf"`);
    expect(problem(`{"handler": "a.b", "payload": {}}`)).toBe(`j.json:1:13: "handler" may only contain letters, digits, "_" and "-" (found ".")`);
    expect(problem(`{"handler": "echo", "payload": {}, "id": ""}`)).toBe(`j.json:1:42: "id" must not be empty`);
    expect(problem(`{"handler": "echo", "payload": {}, "attempts": 1.5}`)).toBe(`j.json:1:48: "attempts" must be a positive whole number (got 1.5)`);
    expect(problem(`{"handler": "echo", "payload": {}, "priority": "urgent"}`)).toBe(`j.json:1:48: "priority" must be one of "high", "normal", "low" (got "urgent")`);
    expect(problem(`{"handler": "echo", "payload": {}, "delay": 30}`)).toBe(`j.json:1:45: "delay" must be a duration like "30s", "10m", "2h" (got a number)`);
    expect(problem(`{"handler": "echo", "payload": {}, "run_at": "tomorrow"}`)).toBe(`j.json:1:46: "run_at" must be an ISO 8601 time with a zone, like "2030-01-31T02:00:00Z" (got "tomorrow")`);
    expect(problem(`{"handler": "echo", "payload": {}, "lifo": "yes"}`)).toBe(`j.json:1:44: "lifo" must be true or false (got a string)`);
    expect(problem(`{"handler": "echo", "payload": {}, "keep_result": 60}`)).toBe(`j.json:1:51: "keep_result" must be a duration of at least 1s, like "1h" or "7d" (got 60)`);
  });

  test("what a schema cannot say stays said: durations, times in the past, delay with run_at", () => {
    expect(problem(`{"handler": "echo", "payload": {}, "keep_result": "10ms"}`)).toContain(`"keep_result" must be a duration of at least 1s`);
    expect(problem(`{"handler": "echo", "payload": {}, "run_at": "2001-01-01T00:00:00Z"}`)).toContain(`"run_at" 2001-01-01T00:00:00Z is in the past`);
    expect(problem(`{"handler": "echo", "payload": {}, "delay": "1m", "run_at": "2100-01-01T00:00:00Z"}`)).toContain(`give "delay" or "run_at", not both`);
    expect(problem(`{"handler": "echo", "payload": {}, "delay": "soon"}`)).toContain(`"delay": "soon" is not a duration`);
  });

  test("an array of jobs, a chain and a batch's then: each object named as before", () => {
    expect(problem(`[{"handler": "echo", "payload": 1}, 7]`)).toBe(`j.json:1:37: job [1] must be an object like {"handler": "echo", "payload": {...}} (got a number)`);
    expect(problem(`{"chain": [{"handler": "a"}, {"payload": 1}]}`)).toBe(`j.json:1:30: chain step [1] has no "handler": name the job type, e.g. "handler": "echo"`);
    expect(problem(`{"chain": [{"handler": "a"}, {"handler": "b", "batch": []}, {"handler": "c"}]}`)).toBe(
      `j.json:1:56: "batch" in a chain step must be a non-empty array of payloads, or "each" (one job per element of the previous step's value) (got an array)`,
    );
    expect(problem(`{"chain": [{"handler": "a"}], "then": 1}`)).toBe(`j.json:1:31: unknown key "then" in the chain (expected one of: chain, id, delay, run_at, priority, backoff, keep_result, keep_failed)`);
    expect(problem(`{"handler": "a", "batch": [1, 2], "then": {"handler": "r", "on_failure": "skip"}}`)).toBe(
      `j.json:1:74: "on_failure" must be "fail" (the reduce fails when an item failed) or "null" (failed items are passed as null) (got "skip")`,
    );
    expect(problem(`{"handler": "a", "batch": [1, 2], "then": "r"}`)).toBe(`j.json:1:43: "then" must be an object (got a string)`);
  });

  test("a valid file still reads as before", () => {
    const plan = parseJobFile(`{"handler": "a", "batch": [1, 2], "then": {"handler": "r", "on_failure": "null"}, "priority": "high"}`, "j.json");
    const jobs = [...(plan.jobs as Iterable<{ id: string; priority?: string; then?: { on_failure?: string } }>)];
    expect(jobs).toHaveLength(3);
    expect(jobs[0]!.priority).toBe("high");
    expect(jobs[0]!.then!.on_failure).toBe("null");
  });
});
