// The manager with the local provider: worker processes are started for lag and drained (SIGTERM) when idle.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { join } from "node:path";
import { Manager } from "../../core/scaler/manager.ts";
import { LocalProvider, localDefaults } from "../../core/scaler/providers/local.ts";
import type { PresenceV1 } from "../../core/runtime/protocol/control.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { docctl } from "../helpers/cli.ts";
import { captureLog, createTasksStream, publishJobs, waitFor } from "./setup.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  ({ ns, nc } = await setup());
  await createTasksStream(nc, ["render"]);
});
afterAll(async () => {
  await cleanup(ns, nc);
});

// the real `docctl worker` once it is merged: [process.execPath, "cmd/docctl.ts", "worker"]
const standIn = [process.execPath, join(import.meta.dir, "fixtures", "stand-in-worker.ts")];

test("local workers are started for lag, do the jobs, and are drained with SIGTERM after idle", async () => {
  const log = captureLog();
  const provider = new LocalProvider({ ...localDefaults, command: standIn, natsUrl: ns.url, stdio: "ignore", drainTimeoutMs: 10_000, idPrefix: "local-test" }, log);
  const m = new Manager({ nc, provider, log }, { intervalMs: 200, leaseTtlMs: 2000, policy: { min: 0, max: 2, jobsPerWorker: 10, idleMs: 500, cooldownMs: 300 } });
  await publishJobs(nc, 40);
  await m.start();
  try {
    await waitFor("2 local workers", async () => (await provider.list()).length === 2, 10_000, 50, log);
    const kv = await new Kvm(nc).open("DOCCTL_WORKERS");
    await waitFor("presence of local-test-1", async () => (await kv.get("local-test-1"))?.operation === "PUT", 10_000, 50, log);
    const jsm = await jetstreamManager(nc);
    await waitFor("every job done", async () => (await jsm.streams.info("DOCCTL_TASKS")).state.messages === 0, 20_000, 50, log);
    await waitFor("workers drained after idle", async () => (await provider.list()).length === 0 && m.last?.servers?.draining === 0, 15_000, 50, log);
    // they drained themselves (removed their presence) rather than being killed
    expect((await kv.get("local-test-1"))?.operation).not.toBe("PUT");
    expect(log.lines.some((l) => l.includes("killing"))).toBe(false);
  } finally {
    await m.stop();
  }
});

test("stopping the manager drains its local workers: no child process outlives it", async () => {
  const log = captureLog();
  const provider = new LocalProvider({ ...localDefaults, command: standIn, natsUrl: ns.url, stdio: "ignore", drainTimeoutMs: 10_000, idPrefix: "local-stop" }, log);
  const m = new Manager({ nc, provider, log }, { intervalMs: 200, leaseTtlMs: 2000, policy: { min: 1, max: 2, jobsPerWorker: 10, idleMs: 60_000, cooldownMs: 60_000 } });
  await m.start();
  let pids: number[] = [];
  try {
    await waitFor("1 local worker (min)", async () => (await provider.list()).length === 1, 10_000, 50, log);
    // connected and registered (so the drain is a real one); its pid is in its presence entry
    const kv = await new Kvm(nc).open("DOCCTL_WORKERS");
    const me = await waitFor("presence of local-stop-1", async () => {
      const e = await kv.get("local-stop-1");
      return e?.operation === "PUT" ? e.json<PresenceV1>() : undefined;
    }, 10_000, 50, log);
    pids = [me.pid];
    expect(() => process.kill(me.pid, 0)).not.toThrow();
  } finally {
    await m.stop();
  }
  for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
});

test("local workers that exit before registering are replaced, then creating stops, naming their last error", async () => {
  const log = captureLog();
  const crash = [process.execPath, "-e", "console.error('docctl worker: NATS refused the credentials (authorization violation)'); process.exit(2)"];
  const provider = new LocalProvider({ ...localDefaults, command: crash, natsUrl: "nats://worker:s3cret@127.0.0.1:4222", stdio: "ignore", drainTimeoutMs: 1000, idPrefix: "local-crash" }, log);
  const m = new Manager({ nc, provider, log }, { intervalMs: 100, leaseTtlMs: 2000, maxBootFailures: 3, bootTimeoutMs: 10_000, policy: { min: 1, max: 1, jobsPerWorker: 10, idleMs: 60_000, cooldownMs: 60_000 } });
  await m.start();
  try {
    const halted = await waitFor("creating halted", () => m.snapshot().halted, 15_000, 50, log);
    expect(halted).toContain("3 server(s) in a row");
    expect(halted).toContain("exited with code 2: docctl worker: NATS refused the credentials (authorization violation)");
    // the URL is named with its password masked
    expect(halted).toContain("nats://***@127.0.0.1:4222");
    expect(log.lines.join("\n")).not.toContain("s3cret");
    const made = log.lines.filter((l) => l.includes("created 1 server(s)")).length;
    expect(made).toBe(3);
    // three more ticks that wanted servers: none counts as an "up" (nothing was created), all as "hold"
    const ups = m.snapshot().decisions.up;
    const holds = m.snapshot().decisions.hold;
    await waitFor("more ticks", () => m.snapshot().decisions.hold >= holds + 3, 5000);
    expect(m.snapshot().decisions.up).toBe(ups);
    expect(m.last?.decision?.delta).toBeGreaterThan(0);
    expect(log.lines.filter((l) => l.includes("created 1 server(s)")).length).toBe(3);
    // `docctl status`, from anywhere, says so too
    const st = await docctl(["status", "--json", "--nats", ns.url]);
    expect(JSON.parse(st.stdout).manager).toMatchObject({ provider: "local", boot_failures: 3 });
    expect(JSON.parse(st.stdout).manager.halted).toContain("STOPPED CREATING SERVERS");
    expect(st.stderr).toContain("STOPPED CREATING SERVERS");
    const text = await docctl(["status", "--nats", ns.url]);
    expect(text.stdout).toMatch(/manager manager-\S+ \(local\): servers 0 ready, 0 booting, 0 draining, 0 failed; wants 1/);
  } finally {
    await m.stop();
  }
});
