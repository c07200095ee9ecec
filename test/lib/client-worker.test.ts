// The library from code: an embedded Worker and a Client against a real nats-server, in this process.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Client, Worker, defineHandler, JobError, ResultTimeoutError, type JobResult } from "../../core/lib/index.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
beforeAll(async () => {
  ns = await startNatsServer();
});
afterAll(async () => {
  await ns.cleanup();
});

const square = defineHandler<{ n: number }, number>({
  schema: { type: "object", required: ["n"], properties: { n: { type: "number" } } },
  handle: async ({ n }) => n * n,
});
const picky = defineHandler<{ word: string }, string>({
  maxAttempts: 1,
  handle: ({ word }, ctx) => {
    if (word === "no") throw new JobError("REFUSED", `job ${ctx.id} refused`, { retryable: false });
    return word.toUpperCase();
  },
});

describe("Client and Worker", () => {
  test("a job and a batch run on an embedded worker; results are typed and in input order", async () => {
    const signals = ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"].map((s) => process.listenerCount(s));
    const env = JSON.stringify(process.env);
    const worker = new Worker({ nats: ns.url, handlers: { square, picky }, concurrency: 3, logger: {} });
    await worker.start();
    const client = new Client<{ square: typeof square; picky: typeof picky }>({ nats: ns.url });
    try {
      const one = await client.submit("square", { n: 7 });
      expect(one).toMatchObject({ ok: true, value: 49, attempts: 1, handler: "square", worker: worker.id });
      const many: JobResult<number>[] = await client.submitBatch("square", Array.from({ length: 20 }, (_, i) => ({ n: i })));
      expect(many.map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
      expect(new Set(many.map((r) => r.batch)).size).toBe(1);

      const refused = await client.submit("picky", { word: "no" }, { id: "picky-no" });
      expect(refused.ok).toBe(false);
      expect(refused.error).toEqual({ code: "REFUSED", message: "job picky-no refused", retryable: false });
      const bad = await client.submit("square", { n: "x" as unknown as number });
      expect(bad.error?.code).toBe("BAD_PAYLOAD");

      expect(await client.result("picky-no")).toMatchObject({ id: "picky-no", ok: false });
      expect(await client.result("never-submitted")).toBeUndefined();
    } finally {
      await client.close();
      await worker.close();
    }
    expect(worker.stats().state).toBe("stopped");
    // the library lives in someone else's process: no signal handlers, no environment writes
    expect(["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"].map((s) => process.listenerCount(s))).toEqual(signals);
    expect(JSON.stringify(process.env)).toBe(env);
  });

  test("with no worker running the client gives up waiting, naming the ids it missed; a re-submit reads them later", async () => {
    const nc: NatsConnection = await connect({ servers: ns.url });
    const first = new Worker({ nats: nc, handlers: { square }, logger: {} });
    await first.start(); // registers the handler, then goes away
    first.pause();
    expect(first.stats().state).toBe("paused");
    first.resume();
    expect(first.stats().state).toBe("running");
    await first.close();
    const client = new Client({ nats: nc });
    const err = await client.submitBatch("square", [{ n: 1 }, { n: 2 }], { batch: "later", waitMs: 1000 }).catch((e) => e);
    expect(err).toBeInstanceOf(ResultTimeoutError);
    expect((err as ResultTimeoutError).missing).toEqual(["later-0", "later-1"]);
    const second = new Worker({ nats: nc, handlers: { square }, logger: {} });
    await second.start();
    // the same batch again: JetStream dedupes the jobs, the client reads the results when they come
    const again = await client.submitBatch<number>("square", [{ n: 1 }, { n: 2 }], { batch: "later" });
    expect(again.map((r) => [r.id, r.value])).toEqual([["later-0", 1], ["later-1", 4]]);
    await second.close();
    await client.close();
    // a connection passed in belongs to the caller: neither closed it
    expect(nc.isClosed()).toBe(false);
    await nc.close();
  });

  test("an unknown handler is a clear error, and bad options fail at construction", async () => {
    const client = new Client({ nats: ns.url });
    await expect(client.submit("nobody-has-this", {})).rejects.toThrow(/unknown handler "nobody-has-this"/);
    await client.close();
    expect(() => new Worker({ nats: ns.url, handlers: {} })).toThrow(/at least one handler/);
    expect(() => new Worker({ nats: ns.url, handlers: { "bad name": square } })).toThrow(/handler name "bad name"/);
    expect(() => new Client({ nats: 42 as never })).toThrow(/server URL or a NatsConnection/);
  });
});
