// Pure pieces of the runtime: codec, job files, retry schedule, durations, slots. No servers.
import { describe, expect, test } from "bun:test";
import { encode } from "@msgpack/msgpack";
import { decodeJob, encodeJob, encodeResult, decodeResult } from "../../core/runtime/protocol/codec.ts";
import { parseJobFile } from "../../core/runtime/client/jobfile.ts";
import { parseDuration } from "../../core/runtime/util/duration.ts";
import { Slots } from "../../core/runtime/worker/slots.ts";
import { toWireError, JobError } from "../../core/runtime/protocol/errors.ts";
import { embeddedConfig, supportsSyncAlways } from "../../core/runtime/nats/embedded.ts";
import { streamConfigs, topologyDefaults } from "../../core/runtime/nats/topology.ts";

describe("codec", () => {
  test("a job survives a round trip and optional fields stay absent", () => {
    const bytes = encodeJob({ v: 1, id: "a1", batch: "b1", handler: "echo", payload: { x: "é€" }, submitted_at: 5, attempts: undefined });
    const d = decodeJob(bytes);
    expect(d.ok).toBe(true);
    if (d.ok) {
      expect(d.value.payload).toEqual({ x: "é€" });
      expect("attempts" in d.value).toBe(false);
    }
  });
  test("undecodable bytes and bad fields are named precisely", () => {
    expect(decodeJob(new Uint8Array([0xc1]))).toMatchObject({ ok: false });
    expect(decodeJob(encode([1, 2]))).toEqual({ ok: false, problem: "expected a msgpack map, got an array" });
    expect(decodeJob(encode({ v: 2 }))).toMatchObject({ ok: false, problem: expect.stringContaining("unsupported version v=2") });
    const bad = decodeJob(encode({ v: 1, id: "a.b", batch: "b", handler: "echo", payload: 1, submitted_at: 1 }));
    expect(bad).toMatchObject({ ok: false, problem: expect.stringContaining(`field "id" may only contain`) });
    const noPayload = decodeJob(encode({ v: 1, id: "a", batch: "b", handler: "echo", submitted_at: 1 }));
    expect(noPayload).toEqual({ ok: false, problem: `field "payload" is missing` });
  });
  test("results round-trip", () => {
    const r = { v: 1 as const, id: "a", batch: "b", handler: "echo", ok: true, value: [1], attempts: 1, worker: "w", started_at: 1, finished_at: 2 };
    expect(decodeResult(encodeResult(r))).toEqual(r);
  });
});

describe("job files", () => {
  test("a single job, with its id as its batch", () => {
    const p = parseJobFile(`{"handler":"echo","payload":{"a":1},"id":"job-1"}`, "job.json");
    expect(p).toMatchObject({ kind: "single", batch: "job-1", size: 1, handlers: ["echo"], jobs: [{ handler: "echo", id: "job-1", payload: { a: 1 } }] });
  });
  test("a batch gets ids batch-0..n in input order", () => {
    const p = parseJobFile(`{"handler":"title","id":"run7","batch":[{"url":"a"},{"url":"b"}]}`, "b.json");
    expect(p.kind).toBe("batch");
    expect([...p.jobs].map((j) => j.id)).toEqual(["run7-0", "run7-1"]);
    expect([...p.jobs][1]!.payload).toEqual({ url: "b" });
  });
  test("a big batch is kept as offsets and parsed as taken; taking it twice gives the same jobs", () => {
    const n = 20_000;
    const text = `{"handler":"echo","id":"big","batch":[${Array.from({ length: n }, (_, i) => `{"i":${i},"s":"\u00e9\\"]"}`).join(",")}]}`;
    const p = parseJobFile(text, "big.json");
    expect(p.size).toBe(n);
    expect(Array.isArray(p.jobs)).toBe(false);
    let k = 0;
    for (const j of p.jobs) {
      expect(j).toEqual({ handler: "echo", id: `big-${k}`, payload: { i: k, s: 'é"]' }, timeout_ms: undefined, attempts: undefined });
      k++;
    }
    expect(k).toBe(n);
    expect([...p.jobs][n - 1]!.id).toBe(`big-${n - 1}`);
  });
  test("keys after the batch array, a mistake in job 1000 of an array, jobs without ids", () => {
    const p = parseJobFile(`{"batch":[1,[2],{"x":[3]}],"handler":"h","attempts":2}`, "b.json");
    expect([...p.jobs].map((j) => [j.payload, j.attempts])).toEqual([[1, 2], [[2], 2], [{ x: [3] }, 2]]);
    expect(() => parseJobFile(`{"batch":[1],"handler":"h","attempts":0}`, "b.json")).toThrow(/^b\.json:1:39: "attempts" must be a positive whole number/);
    const jobs = Array.from({ length: 1001 }, (_, i) => (i === 1000 ? `{"handler":"e","payload":1,"idd":"x"}` : `{"handler":"e","payload":${i}}`));
    expect(() => parseJobFile(`[\n${jobs.join(",\n")}\n]`, "l.json")).toThrow(/^l\.json:1002:28: unknown key "idd" in job \[1000\]/);
    const list = parseJobFile(`[{"handler":"e","payload":1},{"handler":"f","payload":2}]`, "l.json");
    const ids = [...list.jobs].map((j) => j.id);
    expect(new Set(ids).size).toBe(2);
    expect([...list.jobs].map((j) => j.id)).toEqual(ids);
    expect(list.handlers).toEqual(["e", "f"]);
  });
  test("an array of jobs with ids gets the same batch id every time", () => {
    const text = `[{"handler":"echo","payload":1,"id":"x"},{"handler":"echo","payload":2,"id":"y"}]`;
    expect(parseJobFile(text, "f").batch).toBe(parseJobFile(text, "f").batch);
  });
  test("malformed JSON says file:line:col", () => {
    expect(() => parseJobFile(`{\n  "handler": "echo",\n  "payload": {"a": 1,}\n}`, "job.json")).toThrow(/^job\.json:3:/);
  });
  test("a payload-less job, a bad id, an unknown key, a wrong type: each named with its place", () => {
    expect(() => parseJobFile(`{"handler":"echo"}`, "j.json")).toThrow(`j.json:1:1: the job has no "payload" (use {} for none)`);
    expect(() => parseJobFile(`{"handler":"echo","payload":1,"id":"a b"}`, "j.json")).toThrow(/j\.json:1:36: "id" may only contain/);
    expect(() => parseJobFile(`{"handler":"echo","paylod":1}`, "j.json")).toThrow(/j\.json:1:19: unknown key "paylod"/);
    expect(() => parseJobFile(`[{"handler":"echo","payload":1}, 3]`, "j.json")).toThrow(/job \[1\] must be an object/);
    expect(() => parseJobFile(`{"handler":"t","batch":{}}`, "j.json")).toThrow(/"batch" must be an array/);
    expect(() => parseJobFile(`[{"handler":"e","payload":1,"id":"a"},{"handler":"e","payload":1,"id":"a"}]`, "j.json")).toThrow(/same "id" as job \[0\]/);
    expect(() => parseJobFile(``, "j.json")).toThrow(/empty/);
  });
});

describe("schedules and limits", () => {
  test("durations parse at the edge, with the flag named on error", () => {
    expect(parseDuration("1h30m", "--x")).toBe(5_400_000);
    expect(parseDuration("250ms", "--x")).toBe(250);
    expect(parseDuration("1500", "--x")).toBe(1500);
    expect(() => parseDuration("5 sec", "--timeout")).toThrow(`--timeout: "5 sec" is not a duration`);
  });
  test("slots: claim all that are free, wait when none are, release wakes a waiter", async () => {
    const s = new Slots(3);
    expect(await s.claimAll()).toBe(3);
    const waiting = s.claimAll();
    s.release(2);
    expect(await waiting).toBe(2);
    s.release(3);
    await s.idle();
    s.close();
    expect(await s.claimAll()).toBe(0);
  });
  test("errors thrown by handlers map to wire errors", () => {
    expect(toWireError(new Error("boom"))).toEqual({ code: "HANDLER_ERROR", message: "boom", retryable: true });
    expect(toWireError(new JobError("NOPE", "no", { retryable: false }))).toEqual({ code: "NOPE", message: "no", retryable: false });
    expect(toWireError(Object.assign(new Error("x"), { code: "FETCH_TIMEOUT", retryable: true }))).toMatchObject({ code: "FETCH_TIMEOUT", retryable: true });
    expect(toWireError("text")).toEqual({ code: "HANDLER_ERROR", message: "text", retryable: true });
  });
  test("the embedded server flushes before acking where its version allows", () => {
    expect(supportsSyncAlways("nats-server: v2.9.10")).toBe(false);
    expect(supportsSyncAlways("nats-server: v2.10.4")).toBe(true);
    expect(embeddedConfig({ host: "127.0.0.1", port: 4222, storeDir: "/s", syncAlways: true })).toContain("sync_interval: always");
  });
  test("tasks are a work queue, results keep one message per job", () => {
    const [tasks, results] = streamConfigs({ ...topologyDefaults, replicas: 1 });
    expect(tasks!.retention).toBe("workqueue" as never);
    expect(results!.max_msgs_per_subject).toBe(1);
  });
});
