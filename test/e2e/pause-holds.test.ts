// A pause that holds: after `docctl pause --all` (or `pause WORKER`) returns, nothing more is
// delivered to the worker, though its pull requests were already waiting at the server; after
// `docctl pause --handler H` no worker gets H's jobs (the server's consumer pause). 0 of 20 jobs
// submitted right after the command run; after resume all 20 do.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, type Background } from "../helpers/cli.ts";
import { eventually } from "../helpers/eventually.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let worker: Background;
const env = () => ({ DOCCTL_NATS_URL: nats.url });

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir();
  // two procs, 8 jobs each at once: plenty of pull requests open at the server while idle
  worker = spawnDocctl(["worker", "--procs", "2", "--concurrency", "8", "--name", "w1", "-v"], { env: env() });
  await worker.waitFor(/pulling/, 30_000);
});
afterAll(async () => {
  await worker?.stop("SIGKILL");
  await nats?.cleanup();
  dir?.cleanup();
});

/** Results stored for batch `batch`. */
async function results(batch: string): Promise<number> {
  const nc = await connectNats({ url: nats.url });
  try {
    const si = await (await jetstreamManager(nc)).streams.info("DOCCTL_RESULTS", { subjects_filter: `docctl.results.${batch}.>` }).catch(() => null);
    return Object.keys(si?.state.subjects ?? {}).length;
  } finally {
    await nc.close();
  }
}

async function submit20(batch: string): Promise<void> {
  const f = join(dir.path, `${batch}.json`);
  writeFileSync(f, JSON.stringify({ handler: "echo", id: batch, batch: Array.from({ length: 20 }, (_, i) => ({ i })) }));
  const r = await docctl(["submit", "--no-wait", f], { env: env() });
  expect(r.code).toBe(0);
}

async function leakTest(pause: string[], resume: string[], batch: string) {
  // the worker serves: a warm-up job runs
  await submit20(`${batch}-warm`);
  await eventually(async () => (await results(`${batch}-warm`)) === 20, 30_000, "the warm-up batch");
  const p = await docctl(pause, { env: env() });
  expect(p.stderr).toBe("");
  expect(p.code).toBe(0);
  await submit20(batch);
  // nothing may run while paused: give a leaking worker ample time to show it
  await Bun.sleep(4_000);
  expect(await results(batch)).toBe(0);
  const r = await docctl(resume, { env: env() });
  expect(r.code).toBe(0);
  await eventually(async () => (await results(batch)) === 20, 30_000, "all 20 after the resume");
}

test("pause --all: 0 of 20 jobs submitted right after it run; all 20 after resume", async () => {
  await leakTest(["pause", "--all"], ["resume", "--all"], "pall");
}, 120_000);

test("pause WORKER holds the same way", async () => {
  await leakTest(["pause", "w1"], ["resume", "w1"], "pone");
}, 120_000);

test("pause --handler: the server holds the handler's jobs from every worker; status shows it", async () => {
  const p = await docctl(["pause", "--handler", "echo"], { env: env() });
  expect(p.code).toBe(0);
  expect(p.stdout).toContain("handler echo: paused fleet-wide");
  const st = await docctl(["status"], { env: env() });
  expect(st.stdout).toContain("paused: handler echo, fleet-wide (docctl resume --handler echo)");
  await submit20("phand");
  await Bun.sleep(4_000);
  expect(await results("phand")).toBe(0);
  // a worker started while the handler is paused gets nothing either
  const w2 = spawnDocctl(["worker", "--procs", "1", "--name", "w2", "-v"], { env: env() });
  try {
    await w2.waitFor(/pulling/, 30_000);
    await Bun.sleep(2_000);
    expect(await results("phand")).toBe(0);
    expect((await docctl(["resume", "--handler", "echo"], { env: env() })).code).toBe(0);
    await eventually(async () => (await results("phand")) === 20, 30_000, "all 20 after the resume");
    const st2 = await docctl(["status"], { env: env() });
    expect(st2.stdout).not.toContain("paused: handler echo");
  } finally {
    await w2.stop("SIGKILL");
  }
  const bad = await docctl(["pause", "--handler", "nosuch"], { env: env() });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain(`no handler "nosuch"`);
}, 120_000);
