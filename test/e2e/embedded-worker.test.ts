// An embedded library Worker seen by the CLI like a `docctl worker`: `docctl job`, progress,
// `jobs --state running`, `status` and `cancel` against a Worker running in this test's process.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, Worker, defineHandler } from "../../core/lib/index.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { docctl } from "../helpers/cli.ts";
import { eventually } from "../helpers/eventually.ts";

let ns: NatsServerHandle;
let worker: Worker;
let client: Client;
const env = () => ({ DOCCTL_NATS_URL: ns.url });

// Runs until cancelled, reporting progress.
const hold = defineHandler<{ ms: number }, string>({
  maxAttempts: 1,
  handle: async ({ ms }, ctx) => {
    ctx.progress({ done: 1, total: 4, message: "first quarter" });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      ctx.signal.addEventListener("abort", () => (clearTimeout(t), reject(ctx.signal.reason)), { once: true });
    });
    return "held";
  },
});

beforeAll(async () => {
  ns = await startNatsServer();
  worker = new Worker({ nats: ns.url, handlers: { hold }, id: "embedded-w1", logger: {} });
  await worker.start();
  client = new Client({ nats: ns.url });
});
afterAll(async () => {
  await client?.close();
  await worker?.close();
  await ns.cleanup();
});

describe("an embedded Worker", () => {
  test("its running job shows in docctl job (worker, progress), jobs --state running and status; cancel says running and aborts it", async () => {
    const id = await client.enqueue("hold", { ms: 120_000 }, { id: "embedded-job" });
    await eventually(() => worker.stats().inFlight.length === 1, 20_000, "the job to start");
    const info = await eventually(async () => {
      const r = await docctl(["job", id, "--json"], { env: env() });
      const j = r.code === 0 ? JSON.parse(r.stdout) : undefined;
      return j?.state === "running" && j.progress ? j : undefined;
    }, 20_000, "docctl job to say running with progress");
    expect(info.worker).toBe("embedded-w1");
    expect(info.progress).toMatchObject({ done: 1, total: 4, message: "first quarter" });

    const running = await docctl(["jobs", "--state", "running", "--json"], { env: env() });
    expect(running.code).toBe(0);
    expect((JSON.parse(running.stdout) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toContain(id);

    const status = await docctl(["status"], { env: env() });
    expect(status.stdout).toContain("embedded-w1");

    const cancel = await docctl(["cancel", id, "--json"], { env: env() });
    expect(cancel.code).toBe(0);
    expect(JSON.parse(cancel.stdout.trim())).toMatchObject({ id, was: "running", outcome: "aborting" });
    const r = await eventually(() => client.result(id), 20_000, "the cancelled result");
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe("CANCELLED");
    const done = await docctl(["job", id, "--json"], { env: env() });
    expect(JSON.parse(done.stdout).state).toBe("cancelled");
  }, 90_000);

  test("its presence goes when it closes", async () => {
    const other = new Worker({ nats: ns.url, handlers: { hold }, id: "embedded-w2", logger: {} });
    await other.start();
    await eventually(async () => (await docctl(["status"], { env: env() })).stdout.includes("embedded-w2"), 20_000, "w2 in status");
    await other.close();
    const after = await docctl(["status"], { env: env() });
    expect(after.stdout).not.toContain("embedded-w2");
  }, 60_000);
});
