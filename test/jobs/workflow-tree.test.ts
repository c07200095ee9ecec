// Workflows as trees against a real server: a batch inside a chain (fan-out over the previous value,
// or over fixed payloads; the next step gets the list), a delayed step, and `docctl job <chain>`
// showing each step once, in order, with its state (the last step too, before it runs).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, Worker, defineHandler } from "../../core/lib/index.ts";
import { setup, cleanup, type NatsServerHandle } from "../helpers/nats.ts";
import { docctl } from "../helpers/cli.ts";
import { eventually } from "../helpers/eventually.ts";
import type { NatsConnection } from "@nats-io/transport-node";

let ns: NatsServerHandle;
let nc: NatsConnection;
let worker: Worker;
let client: Client;
const env = () => ({ DOCCTL_NATS_URL: ns.url });
const startedAt = new Map<string, number>();

const split = defineHandler<{ n: number }, number[]>({ handle: ({ n }) => Array.from({ length: n }, (_, i) => i + 1) });
const square = defineHandler<number, number>({ handle: (x, ctx) => (startedAt.set(ctx.id, Date.now()), x * x) });
const sum = defineHandler<number[], number>({ handle: (xs) => xs.reduce((a, b) => a + b, 0) });
const slow = defineHandler<number[], number[]>({ handle: async (xs, ctx) => (await Bun.sleep(4000), ctx.signal.throwIfAborted(), xs) });

beforeAll(async () => {
  ({ ns, nc } = await setup());
  worker = new Worker({ nats: ns.url, handlers: { split, square, sum, slow }, concurrency: 8, logger: {} });
  await worker.start();
  client = new Client({ nats: ns.url, waitMs: 60_000 });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await worker?.close();
  await cleanup(ns, nc);
});

describe("a batch inside a chain", () => {
  test("fan-out over the previous step's value, then the next step gets the list in order", async () => {
    const r = await client.chain<number>([{ handler: "split", payload: { n: 4 } }, { handler: "square", batch: "each" }, { handler: "sum" }], { id: "tree-each" });
    expect(r).toMatchObject({ ok: true, value: 1 + 4 + 9 + 16 });
    const out = await docctl(["job", "tree-each"], { env: env() });
    expect(out.code).toBe(0);
    const steps = out.stdout.split("\n").filter((l) => /^\s+\d\. /.test(l));
    expect(steps).toEqual(["    1. tree-each-0 [split] done", "    2. tree-each-1 [square] batch of 4 (one per element of the value before): 4 done", "    3. tree-each [sum] done"]);
    expect(out.stdout).toContain("       tree-each-1-3 done");
  }, 60_000);

  test("fixed payloads in a batch step, a delayed step after it, a file through the CLI", async () => {
    const r = await client.chain<number>([{ handler: "split", payload: { n: 1 } }, { handler: "square", batch: [5, 6] }, { handler: "sum", delay: "700ms" }], { id: "tree-fixed" });
    expect(r.value).toBe(25 + 36);
    const r2 = await client.chain<number>([{ handler: "square", payload: 3 }, { handler: "square", delay: "800ms" }], { id: "tree-delay" });
    expect(r2.value).toBe(81);
    expect(startedAt.get("tree-delay")! - startedAt.get("tree-delay-0")!).toBeGreaterThanOrEqual(800);
    // the same through a job file: a batch step as the last one is refused with its place
    const bad = await docctl(["submit", "-"], { env: env(), stdin: JSON.stringify({ chain: [{ handler: "split", payload: { n: 2 } }, { handler: "square", batch: "each" }] }) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`chain step [1] is a batch but the last step`);
    const ok = await docctl(["submit", "-", "--json"], { env: env(), stdin: JSON.stringify({ id: "tree-file", chain: [{ handler: "split", payload: { n: 3 } }, { handler: "square", batch: "each" }, { handler: "sum" }] }) });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout.trim()).value).toBe(14);
  }, 60_000);

  test("while a step runs the tree shows it once, the steps after it waiting, the last one included", async () => {
    const p = client.chain<number[]>([{ handler: "split", payload: { n: 2 } }, { handler: "slow" }, { handler: "square", batch: "each" }, { handler: "sum" }], { id: "tree-live" });
    const out = await eventually(async () => {
      const o = await docctl(["job", "tree-live"], { env: env() });
      return /2\. tree-live-1 \[slow\] running/.test(o.stdout) ? o.stdout : undefined;
    }, 30_000);
    const steps = out.split("\n").filter((l) => /^\s+\d\. /.test(l));
    expect(steps.length).toBe(4);
    expect(steps.filter((l) => l.includes("running")).length).toBe(1);
    expect(steps[0]).toBe("    1. tree-live-0 [split] done");
    expect(steps[2]).toBe("    3. tree-live-2 [square] batch (one per element of the value before): waiting");
    expect(steps[3]).toBe("    4. tree-live [sum] waiting");
    expect((await p).value).toBe(5 as unknown as number[]);
  }, 60_000);
});
