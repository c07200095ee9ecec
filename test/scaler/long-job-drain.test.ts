// A long job is never cut by scale-in or a clean stop: the compiled `docctl worker` started by the local
// provider, jobs of 45 s (longer than a worker's own 30 s default drain), a manager that scales in while
// they run and is then stopped with them in flight. Each long job runs once (attempts 1).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { submitBatch, readResult } from "../../core/runtime/client/submit.ts";
import { ensureConsumer, ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { Manager } from "../../core/scaler/manager.ts";
import { LocalProvider, localDefaults } from "../../core/scaler/providers/local.ts";
import { drainTimeoutOf } from "../../core/runtime/supervisor/control-plane.ts";
import { drainWorker, listWorkers } from "../../core/runtime/client/fleet.ts";
import { spawnDocctl, eventually } from "../helpers/cli.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { BIN } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { captureLog, waitFor } from "./setup.ts";

const LONG_MS = 45_000;
let ns: NatsServerHandle;
let nc: NatsConnection;
const dir = tempDir();
beforeAll(async () => {
  ({ ns, nc } = await setup());
  writeFileSync(
    join(dir.path, "nap.ts"),
    `export default {
  timeoutMs: 120_000,
  async handle(p: { ms: number }) {
    await new Promise((r) => setTimeout(r, p.ms));
    return { slept: p.ms };
  },
};
`,
  );
});
afterAll(async () => {
  await cleanup(ns, nc);
  dir.cleanup();
});

test("a drain request carries the requester's bound", () => {
  const enc = (s: string) => ({ data: new TextEncoder().encode(s) });
  expect(drainTimeoutOf(enc('{"timeout_ms":300000}'))).toBe(300_000);
  expect(drainTimeoutOf(enc(""))).toBeUndefined();
  expect(drainTimeoutOf(enc("not json"))).toBeUndefined();
  expect(drainTimeoutOf(enc('{"timeout_ms":-1}'))).toBeUndefined();
});

test("45 s jobs run once through a scale-in and a manager stop (attempts 1)", async () => {
  const log = captureLog();
  const provider = new LocalProvider(
    { ...localDefaults, command: [BIN, "worker"], args: ["--procs", "1", "--concurrency", "1", "--plugins", dir.path, "--handlers", "nap"], natsUrl: ns.url, stdio: "ignore", drainTimeoutMs: 120_000, idPrefix: "longjob" },
    log,
    nc,
  );
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, topologyDefaults);
  await ensureConsumer(jsm, "nap", topologyDefaults);
  const m = new Manager({ nc, provider, log }, { intervalMs: 300, leaseTtlMs: 3000, policy: { min: 0, max: 2, jobsPerWorker: 2, idleMs: 2000, cooldownMs: 300 } });
  await m.start();
  let stopped = false;
  try {
    // two short jobs then two long ones: two workers, one job at a time each
    const short = await submitBatch(nc, "nap", [{ ms: 1000 }, { ms: 1000 }], { wait: false });
    const long = await submitBatch(nc, "nap", [{ ms: LONG_MS }, { ms: LONG_MS }], { wait: false });
    const js = jetstream(nc);
    await waitFor("the short jobs' results", async () => (await Promise.all(short.ids.map((id) => readResult(js, id)))).every((r) => r?.ok), 60_000, 200, log);
    await waitFor("both long jobs running", async () => (m.last?.lag?.total ?? 0) === 2 && (await provider.list()).length === 2, 30_000, 100, log);
    // the lag (2, in flight) wants fewer servers than there are, but every worker is busy: none is drained
    const ticks = m.snapshot().decisions.hold;
    await waitFor("a few more ticks", () => m.snapshot().decisions.hold >= ticks + 5, 20_000);
    expect(log.lines.filter((l) => l.includes("draining longjob"))).toEqual([]);
    expect((await provider.list()).length).toBe(2);
    // a clean stop with both long jobs in flight: the workers get the manager's 120 s drain, not their own 30 s
    await m.stop();
    stopped = true;
    const results = await Promise.all(long.ids.map((id) => readResult(js, id)));
    for (const r of results) {
      expect(r?.ok).toBe(true);
      expect(r?.attempts).toBe(1);
    }
    expect(log.lines.some((l) => /killing|SIGKILL/.test(l))).toBe(false);
  } finally {
    if (!stopped) await m.stop();
  }
}, 180_000);

test("a droplet's drain: the manager's drain request carries its bound, and the worker lets a 45 s job finish", async () => {
  // a worker as a droplet runs it: its own --drain-timeout is the 30 s default; the manager drains it
  // over the control subject (drainWorker, what the digitalocean provider calls) with its 120 s bound
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, topologyDefaults);
  await ensureConsumer(jsm, "nap", topologyDefaults);
  const w = spawnDocctl(["worker", "--name", "do-777", "--procs", "1", "--concurrency", "1", "--plugins", dir.path, "--handlers", "nap", "-v"], { env: { DOCCTL_NATS_URL: ns.url } });
  try {
    await eventually(async () => (await listWorkers(nc)).find((p) => p.id === "do-777" && p.state === "running"), 45_000, "worker do-777 running");
    const job = await submitBatch(nc, "nap", [{ ms: LONG_MS }], { wait: false });
    await eventually(async () => (await listWorkers(nc)).find((p) => p.id === "do-777" && p.in_flight === 1), 30_000, "the job running");
    const outcome = await drainWorker(nc, "do-777", { timeoutMs: 120_000, pollMs: 500, requestTimeoutMs: 2000 });
    expect(outcome).toBe("drained");
    expect(await w.proc.exited).toBe(0);
    const r = await readResult(jetstream(nc), job.ids[0]!);
    expect(r?.ok).toBe(true);
    expect(r?.attempts).toBe(1);
    expect(w.output()).toContain("jobs in flight get up to 120s");
    expect(w.output()).toContain("SIGKILL after 120000ms");
    expect(w.output()).not.toContain("still running after");
  } finally {
    await w.stop();
  }
}, 180_000);
