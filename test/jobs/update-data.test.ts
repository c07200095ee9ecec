// updateData against a real server: a queued, a delayed and a retrying job run with the new payload;
// an update racing a worker's start ends, every time, with one run of one payload that the answer
// names; a finished job is refused with the reason (CLI exit 1), bad JSON is refused with its place.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, Worker, defineHandler, JobError } from "../../core/lib/index.ts";
import { setup, cleanup, type NatsServerHandle } from "../helpers/nats.ts";
import { docctl } from "../helpers/cli.ts";
import { eventually } from "../helpers/eventually.ts";
import { tooLate, RETRY_MARGIN_MS } from "../../core/runtime/client/update-data.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let ns: NatsServerHandle;
let nc: NatsConnection;
let worker: Worker;
let client: Client;
const env = () => ({ DOCCTL_NATS_URL: ns.url });
/** every payload each job id was run with */
const runs = new Map<string, unknown[]>();
const record = (id: string, p: unknown) => runs.set(id, [...(runs.get(id) ?? []), p]);

const echo = defineHandler<{ v: string; ms?: number }, string>({
  handle: async (p, ctx) => {
    record(ctx.id, p.v);
    if (p.ms) await new Promise((r) => setTimeout(r, p.ms));
    return p.v;
  },
});
// fails with the old payload (retry in an hour), succeeds with another
const twice = defineHandler<{ v: string }, string>({
  maxAttempts: 3,
  handle: (p, ctx) => {
    record(ctx.id, p.v);
    if (p.v === "old") throw new JobError("BUSY", "busy", { retryable: true });
    return p.v;
  },
});

beforeAll(async () => {
  ({ ns, nc } = await setup());
  worker = new Worker({ nats: ns.url, handlers: { echo, twice }, concurrency: 1, logger: {} });
  await worker.start();
  client = new Client({ nats: ns.url, waitMs: 120_000 });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await worker?.close();
  await cleanup(ns, nc);
});

describe("the decision", () => {
  test("running and finished jobs are too late; a retry due within the margin is too late", () => {
    expect(tooLate("a", "running", { now: 0 })).toBe("job a is running; its payload can no longer change");
    expect(tooLate("a", "done", { now: 0 })).toBe("job a is finished (done); its payload can no longer change");
    expect(tooLate("a", "queued", { now: 0 })).toBeUndefined();
    expect(tooLate("a", "scheduled", { now: 0 })).toBeUndefined();
    expect(tooLate("a", "retrying", { nextAt: 10_000, now: 10_000 - RETRY_MARGIN_MS + 1 })).toContain("about to start its next attempt");
    expect(tooLate("a", "retrying", { nextAt: 60_000, now: 0 })).toBeUndefined();
  });
});

describe("updateData", () => {
  test("a queued job runs with the new payload (CLI --data); its id, batch and priority stay", async () => {
    // a handler no worker runs yet: the job waits on the queue
    await client.enqueue("later", { v: "old" }, { id: "q1", create: true, priority: "high" });
    const r = await docctl(["update", "q1", "--data", '{"v":"new"}'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("q1: payload replaced; it is queued");
    const info = await client.job("q1");
    expect(info).toMatchObject({ id: "q1", batch: "q1", state: "queued", priority: "high" });
    const w = new Worker({ nats: ns.url, handlers: { later: echo }, concurrency: 1, logger: {} });
    await w.start();
    try {
      const res = await eventually(() => client.result("q1"), 30_000, "q1's result");
      expect(res).toMatchObject({ ok: true, value: "new" });
      expect(runs.get("q1")).toEqual(["new"]);
    } finally {
      await w.close();
    }
  }, 90_000);

  test("a delayed job keeps its due time and runs with the new payload (CLI --data-file)", async () => {
    const runAt = Date.now() + 4_000;
    await client.enqueue("echo", { v: "old" }, { id: "d1", runAt });
    const dir = mkdtempSync(join(tmpdir(), "upd-"));
    writeFileSync(join(dir, "p.json"), '{ "v": "new" }\n');
    const r = await docctl(["update", "d1", "--data-file", join(dir, "p.json"), "--json"], { env: env() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ updated: true, id: "d1", state: "scheduled" });
    expect((await client.job("d1"))?.runAt).toBe(runAt);
    const res = await eventually(() => client.result("d1"), 30_000, "d1's result");
    expect(res).toMatchObject({ ok: true, value: "new" });
    expect(res!.startedAt).toBeGreaterThanOrEqual(runAt - 50);
    expect(runs.get("d1")).toEqual(["new"]);
  }, 60_000);

  test("a job waiting for its retry runs its next attempt with the new payload", async () => {
    await client.enqueue("twice", { v: "old" }, { id: "r1", backoff: { type: "fixed", delay: "1h" } });
    await eventually(async () => (await client.job("r1"))?.state === "retrying", 30_000, "r1 retrying");
    const u = await client.updateData("r1", { v: "new" });
    expect(u).toEqual({ updated: true, id: "r1", state: "retrying" });
    expect((await client.job("r1"))?.state).toBe("retrying");
    // its next attempt is still an hour away: run it now
    expect(await client.promote("r1")).toBe(true);
    const res = await eventually(() => client.result("r1"), 30_000, "r1's result");
    expect(res).toMatchObject({ ok: true, value: "new" });
    expect(runs.get("r1")).toEqual(["old", "new"]);
  }, 60_000);

  test("racing a worker's start, 50 times: each job has one result, ran once, with the payload the answer names", async () => {
    const answers: { id: string; updated: boolean }[] = [];
    for (let i = 0; i < 50; i++) {
      const id = `race-${i}`;
      // the one slot is busy with a job before it and the worker holds the next one ahead: this job is
      // handed out ~15 ms after the submit; the update comes 0-35 ms after it, so some land before the
      // worker takes the job and some after
      await client.enqueue("echo", { v: "filler", ms: 15 }, { id: `${id}-before` });
      await client.enqueue("echo", { v: "filler", ms: 15 }, { id: `${id}-ahead` });
      await client.enqueue("echo", { v: "old" }, { id });
      if (i % 8) await new Promise((r) => setTimeout(r, (i % 8) * 5));
      const u = await client.updateData(id, { v: "new" });
      if (!u.updated) expect(u.why).toMatch(new RegExp(`job ${id} (is running|has been handed to a worker|has been taken by a worker|is finished)`));
      answers.push({ id, updated: u.updated });
    }
    for (const { id, updated } of answers) {
      const res = await eventually(() => client.result(id), 60_000, `${id}'s result`);
      expect({ id, value: res!.ok ? res!.value : res }).toEqual({ id, value: updated ? "new" : "old" });
    }
    // nothing left on the queue or in flight: no second run can come
    const jsm = await jetstreamManager(nc);
    await eventually(async () => {
      const ci = await jsm.consumers.info("DOCCTL_TASKS", "docctl-echo");
      return ci.num_pending === 0 && ci.num_ack_pending === 0 && !ci.paused;
    }, 30_000, "the echo queue empty and not paused");
    for (const { id, updated } of answers) expect({ id, runs: runs.get(id) }).toEqual({ id, runs: [updated ? "new" : "old"] });
    console.log(`race: ${answers.filter((a) => a.updated).length} of 50 updated before the start, ${answers.filter((a) => !a.updated).length} too late`);
  }, 240_000);

  test("a finished job is refused with the reason (exit 1); bad input is refused with its place (exit 2)", async () => {
    expect((await client.submit("echo", { v: "x" }, { id: "f1" })).ok).toBe(true);
    const r = await docctl(["update", "f1", "--data", '{"v":"y"}'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("job f1 is finished (done); its payload can no longer change");
    expect(await client.updateData("f1", { v: "y" })).toEqual({ updated: false, id: "f1", state: "done", why: "job f1 is finished (done); its payload can no longer change" });
    expect(runs.get("f1")).toEqual(["x"]);

    const bad = await docctl(["update", "f1", "--data", '{"v": }'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--data:1:7: expected a value (the payload must be JSON)");
    const both = await docctl(["update", "f1"], { env: env() });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give the new payload with --data JSON or --data-file FILE");
    const unknown = await docctl(["update", "nosuch", "--data", "{}"], { env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`nothing is known about job "nosuch"`);
  }, 60_000);
});
