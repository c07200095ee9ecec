// Client.streamBatch and submitBatch over iterables: results in input order as they come, payloads
// taken only as far as the window allows, and a ResultTimeoutError naming what did not come.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client, Worker, defineHandler, ResultTimeoutError, type JobResult } from "../../core/lib/index.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
beforeAll(async () => {
  ns = await startNatsServer();
});
afterAll(async () => {
  await ns.cleanup();
});

// later jobs of each eight finish first, so arrival order is not input order
const slowSquare = defineHandler<{ n: number }, number>({
  handle: async ({ n }) => {
    await new Promise((r) => setTimeout(r, 8 - (n % 8)));
    return n * n;
  },
});

test("streamBatch hands results out in input order and never runs ahead of the window", async () => {
  const worker = new Worker({ nats: ns.url, handlers: { slowSquare }, concurrency: 16, logger: {} });
  await worker.start();
  const client = new Client({ nats: ns.url });
  try {
    let taken = 0;
    async function* payloads() {
      for (let n = 0; n < 300; n++) {
        taken++;
        yield { n };
      }
    }
    const got: JobResult<number>[] = [];
    for await (const r of client.streamBatch<number>("slowSquare", payloads(), { batch: "sq", window: 10 })) {
      // r is the got.length-th result: at most the window (and the one held back) taken beyond it
      expect(taken - got.length).toBeLessThanOrEqual(12);
      got.push(r);
    }
    expect(got.map((r) => r.value)).toEqual(Array.from({ length: 300 }, (_, n) => n * n));
    expect(got.map((r) => r.id)).toEqual(Array.from({ length: 300 }, (_, n) => `sq-${n}`));

    // submitBatch takes a plain generator too
    function* few() {
      for (let n = 0; n < 12; n++) yield { n };
    }
    const arr = await client.submitBatch<number>("slowSquare", few());
    expect(arr.map((r) => r.value)).toEqual(Array.from({ length: 12 }, (_, n) => n * n));
  } finally {
    await client.close();
    await worker.drain();
  }
});

test("results that do not come in time end the stream with a ResultTimeoutError naming them", async () => {
  // the handler is known to the fleet (a worker registered it) but no worker is running now
  const worker = new Worker({ nats: ns.url, handlers: { slowSquare }, concurrency: 1, logger: {} });
  await worker.start();
  await worker.drain();
  const client = new Client({ nats: ns.url });
  try {
    const got: JobResult[] = [];
    let error: unknown;
    try {
      for await (const r of client.streamBatch("slowSquare", [{ n: 1 }, { n: 2 }, { n: 3 }], { batch: "late", waitMs: 400 })) got.push(r);
    } catch (err) {
      error = err;
    }
    expect(got).toEqual([]);
    expect(error).toBeInstanceOf(ResultTimeoutError);
    expect((error as ResultTimeoutError).missing).toEqual(["late-0", "late-1", "late-2"]);
  } finally {
    await client.close();
  }
});
