// Scale-in drains the least busy worker, read through the one control client: two real `docctl worker`
// processes (from source), one holding a long job and one idle; the manager must drain the idle one.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { submitBatch } from "../../core/runtime/client/submit.ts";
import { controlWorkers, workerStatus } from "../../core/runtime/client/fleet.ts";
import { readResult } from "../../core/runtime/client/submit.ts";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { ensureConsumer, ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { Manager } from "../../core/scaler/manager.ts";
import { LocalProvider, localDefaults } from "../../core/scaler/providers/local.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { captureLog, waitFor } from "./setup.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
const dir = tempDir();
beforeAll(async () => {
  ({ ns, nc } = await setup());
  // a job that holds its worker until the test creates the file it names (bounded, so nothing hangs)
  writeFileSync(
    join(dir.path, "hold.ts"),
    `import { existsSync } from "node:fs";
export default {
  timeoutMs: 60_000,
  async handle(p: { until: string }) {
    const end = Date.now() + 50_000;
    while (!existsSync(p.until) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return { released: existsSync(p.until) };
  },
};
`,
  );
});
afterAll(async () => {
  await cleanup(ns, nc);
  dir.cleanup();
});

/** A worker whose procs all pull (the supervisor reports "running" while they still start). */
const serving = async (id: string) => (await workerStatus(nc, id))?.procs.every((p) => p.loop === "running") ?? false;

test("scale-in drains the idle worker, not the one running a long job", async () => {
  const log = captureLog();
  const docctl = [process.execPath, join(import.meta.dir, "..", "..", "cmd", "docctl.ts"), "worker"];
  const provider = new LocalProvider(
    { ...localDefaults, command: docctl, args: ["--procs", "1", "--plugins", dir.path, "--handlers", "hold"], natsUrl: ns.url, stdio: "ignore", drainTimeoutMs: 30_000, idPrefix: "scalein" },
    log,
  );
  // The busy worker is the newer one, which is what a tie between "both idle" would drain: a manager
  // that cannot see in-flight jobs fails this test. The older one is paused while the job is taken.
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, topologyDefaults);
  await ensureConsumer(jsm, "hold", topologyDefaults);
  const [idle] = await provider.create(1);
  await waitFor("the first worker registered", async () => serving(idle!.workerId), 30_000);
  await controlWorkers(nc, idle!.workerId, "pause");
  // a paused worker's pull requests already at the server still deliver until they expire
  await waitFor("the paused worker's pull requests expired", async () => (await jsm.consumers.info("DOCCTL_TASKS", "docctl-hold")).num_waiting === 0, 30_000);
  await Bun.sleep(5); // createdAt differs, so the newer one is well defined
  const [busy] = await provider.create(1);
  await waitFor("the second worker registered", async () => serving(busy!.workerId), 30_000);
  const release = join(dir.path, "release");
  const sub = await submitBatch(nc, "hold", [{ until: release }], { wait: false });
  await waitFor("the newer worker busy with the long job", async () => (await workerStatus(nc, busy!.workerId))?.in_flight === 1, 20_000);
  await controlWorkers(nc, idle!.workerId, "resume");
  expect((await workerStatus(nc, idle!.workerId))?.in_flight).toBe(0);

  // lag 1 at 1 job per worker wants one server of the two: one is removed after the cool-down
  const m = new Manager({ nc, provider, log }, { intervalMs: 200, leaseTtlMs: 2000, policy: { min: 0, max: 2, jobsPerWorker: 1, idleMs: 600_000, cooldownMs: 300 } });
  await m.start();
  try {
    await waitFor("one worker drained", async () => (await provider.list()).length === 1, 30_000, 50, log);
    expect((await provider.list()).map((s) => s.id)).toEqual([busy!.id]);
    expect(log.lines.some((l) => l.includes(`draining ${idle!.name}`))).toBe(true);
    expect(log.lines.some((l) => l.includes(`draining ${busy!.name}`))).toBe(false);
    // the busy worker's job was never interrupted: it finishes once released
    writeFileSync(release, "");
    const js = jetstream(nc);
    const r = (await waitFor("the long job's result", () => readResult(js, sub.ids[0]!), 20_000))!;
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(1);
    expect(r.worker).toContain(busy!.workerId);
  } finally {
    writeFileSync(release, "");
    await m.stop();
  }
}, 90_000);
