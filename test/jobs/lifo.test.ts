// lifo against a real server: lifo jobs are taken before the jobs of their handler and priority that
// waited before them, the newest first; with priorities and with cancel; refused with a delay.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, Worker, defineHandler } from "../../core/lib/index.ts";
import { setup, cleanup, type NatsServerHandle } from "../helpers/nats.ts";
import { eventually } from "../helpers/eventually.ts";
import { setHandlerPaused } from "../../core/runtime/client/handler-pause.ts";
import { lifoProblem, toMoveBehind } from "../../core/runtime/client/lifo.ts";
import type { NatsConnection } from "@nats-io/transport-node";

let ns: NatsServerHandle;
let nc: NatsConnection;
let worker: Worker;
let client: Client;
/** job ids in the order their handler started them, per handler */
const started = new Map<string, string[]>();
const rec = (h: string) =>
  defineHandler<unknown, string>({
    handle: async (_p, ctx) => {
      started.set(h, [...(started.get(h) ?? []), ctx.id]);
      await new Promise((r) => setTimeout(r, 5));
      return ctx.id;
    },
  });

beforeAll(async () => {
  ({ ns, nc } = await setup());
  worker = new Worker({ nats: ns.url, handlers: { order: rec("order"), prio: rec("prio"), canc: rec("canc") }, concurrency: 1, logger: {} });
  await worker.start();
  client = new Client({ nats: ns.url, waitMs: 120_000 });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await worker?.close();
  await cleanup(ns, nc);
});

const done = (ids: string[]) => eventually(async () => (await Promise.all(ids.map((id) => client.result(id)))).every(Boolean), 60_000, `results of ${ids.join(", ")}`);

describe("the decisions", () => {
  test("what moves behind a lifo job: the waiting messages before it, not those handed out", () => {
    expect(toMoveBehind([9, 3, 4, 5, 7], 3, 8)).toEqual([4, 5, 7]);
    expect(toMoveBehind([1, 2], 5, 6)).toEqual([]);
  });
  test("lifo is refused with a delay and for batches", () => {
    expect(lifoProblem({ delay_ms: 1000 })).toContain(`"lifo" cannot be combined with "delay"`);
    expect(lifoProblem({}, 3)).toContain("single jobs");
    expect(lifoProblem({})).toBeUndefined();
  });
});

describe("lifo", () => {
  test("5 queued jobs, then 3 lifo jobs while paused: lifo3, lifo2, lifo1, then the 5 in order", async () => {
    await setHandlerPaused(nc, "order", true);
    for (let i = 1; i <= 5; i++) await client.enqueue("order", {}, { id: `n${i}` });
    for (let i = 1; i <= 3; i++) await client.enqueue("order", {}, { id: `lifo${i}`, lifo: true });
    expect((await client.job("lifo3"))?.state).toBe("queued");
    await setHandlerPaused(nc, "order", false);
    await done(["n5", "lifo1"]);
    expect(started.get("order")).toEqual(["lifo3", "lifo2", "lifo1", "n1", "n2", "n3", "n4", "n5"]);
    // submit({ lifo }) waits for its result as any submit
    expect(await client.submit("order", {}, { id: "lifo4", lifo: true })).toMatchObject({ ok: true, value: "lifo4" });
  }, 90_000);

  test("with priorities: a lifo job goes before the waiting jobs of its own priority only", async () => {
    await setHandlerPaused(nc, "prio", true);
    await client.enqueue("prio", {}, { id: "a1" });
    await client.enqueue("prio", {}, { id: "a2" });
    await client.enqueue("prio", {}, { id: "h1", priority: "high" });
    await client.enqueue("prio", {}, { id: "l1", priority: "low" });
    await client.enqueue("prio", {}, { id: "hl", priority: "high", lifo: true });
    await client.enqueue("prio", {}, { id: "nl", lifo: true });
    await client.enqueue("prio", {}, { id: "ll", priority: "low", lifo: true });
    await setHandlerPaused(nc, "prio", false);
    await done(["a1", "a2", "h1", "l1", "hl", "nl", "ll"]);
    const order = started.get("prio")!;
    const of = (ids: string[]) => order.filter((id) => ids.includes(id));
    expect(of(["h1", "hl"])).toEqual(["hl", "h1"]);
    expect(of(["a1", "a2", "nl"])).toEqual(["nl", "a1", "a2"]);
    expect(of(["l1", "ll"])).toEqual(["ll", "l1"]);
    // (across priorities the order is the worker's priority choice at resume, not lifo's: not asserted)
  }, 90_000);

  test("a cancelled lifo job never runs; the others keep their order", async () => {
    await setHandlerPaused(nc, "canc", true);
    await client.enqueue("canc", {}, { id: "c-n1" });
    await client.enqueue("canc", {}, { id: "c-l1", lifo: true });
    await client.enqueue("canc", {}, { id: "c-l2", lifo: true });
    const [out] = await client.cancel("c-l2");
    expect(out).toMatchObject({ id: "c-l2", outcome: "cancelled" });
    await setHandlerPaused(nc, "canc", false);
    await done(["c-n1", "c-l1", "c-l2"]);
    expect((await client.result("c-l2"))?.error?.code).toBe("CANCELLED");
    expect(started.get("canc")).toEqual(["c-l1", "c-n1"]);
  }, 90_000);

  test("refused with a delay, with a precise error", async () => {
    await expect(client.enqueue("order", {}, { id: "ld", lifo: true, delay: "1m" })).rejects.toThrow(`job ld: "lifo" cannot be combined with "delay" or "run_at"`);
  });
});
