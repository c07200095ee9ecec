// The streaming submitter as a library: results in input order as they arrive, payloads taken from an
// iterable only as the window allows, and submitBatch accepting an iterable. Real nats-server, a real
// WorkerLoop in this process.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { eventually } from "../helpers/cli.ts";
import { WorkerLoop } from "../../core/runtime/worker/loop.ts";
import { HandlerRegistry } from "../../core/runtime/worker/registry.ts";
import { createLogger } from "../../core/runtime/util/log.ts";
import { streamBatch, submitBatch, type OrderedResult } from "../../core/runtime/client/submit.ts";

let nats: NatsServerHandle;
let nc: NatsConnection;
let loop: WorkerLoop;
/** jobs the worker has finished, per batch */
const finished = new Map<string, number>();

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  const registry = new HandlerRegistry();
  // Later jobs finish first: job i sleeps (10 - i % 10) ms, so results arrive out of input order.
  registry.register("shuffle", async (p: { i: number; batch: string }) => {
    await new Promise((r) => setTimeout(r, 10 - (p.i % 10)));
    finished.set(p.batch, (finished.get(p.batch) ?? 0) + 1);
    return { i: p.i };
  });
  loop = new WorkerLoop({ nc, registry, concurrency: 16, workerId: "stream-test", log: createLogger({ verbosity: 0, format: "pretty" }) });
  await loop.start();
});

afterAll(async () => {
  await loop?.drain();
  await nc?.close();
  await nats?.cleanup();
});

/** Payloads from a generator that counts how many were taken. */
function counted(batch: string, n: number) {
  const c = { taken: 0 };
  async function* gen() {
    for (let i = 0; i < n; i++) {
      c.taken++;
      yield { i, batch };
    }
  }
  return { c, gen: gen() };
}

test("results come out in input order although the worker finishes them out of order", async () => {
  const { gen } = counted("order", 60);
  const run = await streamBatch(nc, "shuffle", gen, { batch: "order", window: 16 });
  const seen: OrderedResult[] = [];
  for await (const r of run) seen.push(r);
  expect(seen.map((r) => r.index)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  expect(seen.map((r) => (r.result.value as { i: number }).i)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  expect(seen.every((r) => r.result.ok && r.result.id === `order-${r.index}`)).toBe(true);
  expect(run.summary()).toMatchObject({ submitted: 60, done: 60, failed: 0, missing: 0, timedOut: false });
});

test("payloads are taken only as far as the window allows, also when the reader is slow", async () => {
  const window = 8;
  const { c, gen } = counted("window", 100);
  const run = await streamBatch(nc, "shuffle", gen, { batch: "window", window });
  const it = run[Symbol.asyncIterator]();
  const first = await it.next();
  expect(first.value?.index).toBe(0);
  // The reader stops here. The worker finishes what was published, then the submitter must wait.
  await eventually(() => (finished.get("window") ?? 0) >= window, 15_000, "the first window of jobs done");
  await eventually(() => run.summary().done === run.summary().submitted, 15_000, "every published job's result in");
  // one handed out (index 0), so at most window + 1 published; one more may be taken and held back
  expect(run.summary().submitted).toBeLessThanOrEqual(window + 1);
  expect(c.taken).toBeLessThanOrEqual(window + 2);
  // Reading on drains the rest, still in order, never more than the window ahead of the reader.
  let expected = 1;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    expect(r.value.index).toBe(expected++);
    expect(c.taken - r.value.index).toBeLessThanOrEqual(window + 2);
  }
  expect(expected).toBe(100);
  expect(run.summary()).toMatchObject({ submitted: 100, done: 100, missing: 0 });
});

test("submitBatch takes any iterable and returns every result in input order", async () => {
  function* payloads() {
    for (let i = 0; i < 25; i++) yield { i, batch: "iter" };
  }
  const out = await submitBatch(nc, "shuffle", payloads(), { batch: "iter", window: 4 });
  expect(out.ids).toEqual(Array.from({ length: 25 }, (_, i) => `iter-${i}`));
  expect(out.results.map((r) => (r?.value as { i: number }).i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  expect(out.timedOut).toBe(false);
});

test("a job type no worker has is refused before anything is published", async () => {
  await expect(streamBatch(nc, "nosuch", [{ a: 1 }])).rejects.toThrow(/unknown handler "nosuch"/);
});
