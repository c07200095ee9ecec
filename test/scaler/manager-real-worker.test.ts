// The manager with the local provider driving the real `docctl worker` (from source): jobs submitted
// with no worker at all wake the fleet, get done, and the workers drain away after the idle time.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { join } from "node:path";
import { submitBatch } from "../../core/runtime/client/submit.ts";
import { ensureConsumer, ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import { Manager } from "../../core/scaler/manager.ts";
import { LocalProvider, localDefaults } from "../../core/scaler/providers/local.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { captureLog, waitFor } from "./setup.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ({ ns, nc } = await setup());
});
afterAll(async () => {
  await cleanup(ns, nc);
});

test("a fleet at zero wakes for submitted jobs, does them with real workers, and drains to zero", async () => {
  const log = captureLog();
  const docctl = [process.execPath, join(import.meta.dir, "..", "..", "cmd", "docctl.ts"), "worker"];
  const provider = new LocalProvider({ ...localDefaults, command: docctl, natsUrl: ns.url, stdio: "ignore", drainTimeoutMs: 10_000, idPrefix: "real" }, log);
  const m = new Manager({ nc, provider, log }, { intervalMs: 200, leaseTtlMs: 2000, policy: { min: 0, max: 2, jobsPerWorker: 10, idleMs: 1000, cooldownMs: 500 } });
  // `docctl submit` refuses handlers no worker has ever registered, so a worker has run once before
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, topologyDefaults);
  await ensureConsumer(jsm, "echo", topologyDefaults);
  await m.prepare();
  try {
    // a tick with no jobs starts nothing; then the loop runs
    const first = await m.tick();
    expect(first.leader).toBe(true);
    expect(first.created).toEqual([]);
    expect((await provider.list()).length).toBe(0);
    await m.start();
    const out = await submitBatch(nc, "echo", Array.from({ length: 15 }, (_, i) => ({ i })), { timeoutMs: 30_000 });
    expect(out.timedOut).toBe(false);
    expect(out.results.every((r) => r?.ok)).toBe(true);
    expect(log.lines.some((l) => l.includes("created 2 server(s)"))).toBe(true);
    await waitFor("workers drained to zero", async () => (await provider.list()).length === 0 && m.last?.servers?.draining === 0, 15_000);
    expect(log.lines.some((l) => l.includes("killing"))).toBe(false);
  } finally {
    await m.stop();
  }
}, 60_000);
