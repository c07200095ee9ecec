// One shape for what the library reports: camelCase job info holding a JobResult (not the wire's
// ResultV1), worker stats without JetStream's ack subject or delivery count.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client, Worker, defineHandler } from "../../core/lib/index.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { eventually } from "../helpers/eventually.ts";

let ns: NatsServerHandle;
beforeAll(async () => {
  ns = await startNatsServer();
});
afterAll(async () => {
  await ns.cleanup();
});

const snake = (o: unknown): string[] => {
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (!v || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v)) {
      if (k.includes("_")) out.push(`${path}${k}`);
      walk(x, `${path}${k}.`);
    }
  };
  walk(o, "");
  return out;
};

test("client.job() and worker.stats() speak camelCase; a finished job's result is a JobResult", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const handlers = {
    slow: defineHandler<{ n: number }, { twice: number }>({
      handle: async ({ n }, ctx) => {
        ctx.progress({ done: 1, total: 2, message: "half" });
        await gate;
        return { twice: n * 2 };
      },
    }),
  };
  const worker = new Worker({ nats: ns.url, handlers, logger: {} });
  await worker.start();
  const client = new Client<typeof handlers>({ nats: ns.url });
  try {
    const id = await client.enqueue("slow", { n: 21 }, { id: "shape-1" });
    await eventually(async () => (await client.job(id))?.state === "running", 20_000, "the job to run");
    const running = (await client.job(id))!;
    expect(running).toMatchObject({ id, state: "running", handler: "slow", attempt: 1 });
    expect(typeof running.startedAt).toBe("number");
    expect(snake(running)).toEqual([]);
    const stats = worker.stats();
    expect(stats.inFlight).toHaveLength(1);
    expect(stats.inFlight[0]).toMatchObject({ id, handler: "slow", attempt: 1 });
    expect(Object.keys(stats.inFlight[0]!)).not.toContain("reply");
    expect(Object.keys(stats.inFlight[0]!)).not.toContain("delivery");
    release();
    await eventually(async () => (await client.job(id))?.state === "done", 20_000, "the job to finish");
    const done = (await client.job<{ twice: number }>(id))!;
    expect(done.result).toMatchObject({ ok: true, value: { twice: 42 }, id, handler: "slow", attempts: 1 });
    expect(typeof done.result!.finishedAt).toBe("number");
    expect(snake(done)).toEqual([]);
  } finally {
    await client.close();
    await worker.close();
  }
});
