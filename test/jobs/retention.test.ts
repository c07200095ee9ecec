// Per-job retention and per-handler backoff against a real server: keep_result gives the result and its
// index entry a TTL; a handler's backoff spaces its jobs' attempts when the job says nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client, Worker, defineHandler, JobError } from "../../core/lib/index.ts";
import { setup, cleanup, type NatsServerHandle } from "../helpers/nats.ts";
import { eventually } from "../helpers/eventually.ts";
import type { NatsConnection } from "@nats-io/transport-node";

let ns: NatsServerHandle;
let nc: NatsConnection;
const at: number[] = [];
const echo = defineHandler<{ x: number }, number>({ handle: ({ x }) => x });
const flaky = defineHandler<Record<string, never>, never>({
  maxAttempts: 2,
  backoff: { type: "fixed", delay: "700ms" },
  handle: () => {
    at.push(Date.now());
    throw new JobError("BUSY", "busy", { retryable: true });
  },
});

beforeAll(async () => ({ ns, nc } = await setup()));
afterAll(() => cleanup(ns, nc));

test("keep_result: the result and the job's index entry go after that time, another job's stay", async () => {
  const worker = new Worker({ nats: ns.url, handlers: { echo, flaky }, logger: {} });
  await worker.start();
  const client = new Client({ nats: ns.url, waitMs: 30_000 });
  try {
    expect((await client.submit("echo", { x: 1 }, { id: "short-lived", keepResult: "2s" })).value).toBe(1);
    expect((await client.submit("echo", { x: 2 }, { id: "kept" })).value).toBe(2);
    expect((await client.job("short-lived"))?.state).toBe("done");
    await eventually(async () => (await client.job("short-lived")) === undefined && (await client.result("short-lived")) === undefined, 20_000, "the short-lived job to be gone");
    expect((await client.job("kept"))?.state).toBe("done");
    expect((await client.result("kept"))?.value).toBe(2);

    // the handler's backoff (700 ms fixed), the job saying nothing
    const r = await client.submit("flaky", {}, { id: "handler-backoff" });
    expect(r.ok).toBe(false);
    expect(at.length).toBe(2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(700);
  } finally {
    await client.close();
    await worker.close();
  }
}, 60_000);
