import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { startWorkerParent, type WorkerParent } from "../../core/runtime/supervisor/parent.ts";
import { commandOf } from "../../core/runtime/supervisor/pidfile.ts";
import { controlWorkers, listWorkers, NoSuchWorkerError } from "../../core/runtime/client/fleet.ts";
import { ControlPlane, workersBucket } from "../../core/runtime/supervisor/control-plane.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { eventually } from "../helpers/eventually.ts";
import { silentLogger } from "../../core/runtime/util/log.ts";
import type { NatsConnection } from "@nats-io/transport-node";

const FAKE = join(import.meta.dir, "../fixtures/fake-proc.ts");
const quiet = silentLogger();
let nats: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
});
afterAll(async () => {
  await nc.close();
  await nats.cleanup();
});

function start(id: string, extra: Record<string, unknown> = {}): Promise<WorkerParent> {
  return startWorkerParent({
    natsUrl: nats.url,
    id,
    procs: 2,
    program: [process.execPath, FAKE],
    childArgs: () => [],
    version: "0.0.0-test",
    labels: { zone: "test" },
    signals: false,
    forwardOutput: false,
    presenceRefreshMs: 500,
    log: quiet,
    ...extra,
  });
}

// The last value read, whether or not it satisfied `ok` in time: the test's expect() then says what it was.
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  let v = await f();
  await eventually(async () => ok((v = await f())), { timeoutMs: ms, what: "a worker state" }).catch(() => {});
  return v;
}

describe("worker parent: presence and control", () => {
  test("presence entry, status, pause/resume by id and for all, drain by control removes the entry", async () => {
    const w = await start("w-one");
    const w2 = await start("w-two", { procs: 1 });
    try {
      const list = await until(() => listWorkers(nc), (l) => l.length === 2 && l.every((x) => x.procs.length > 0 && x.procs.every((p) => p.state === "RUNNING")));
      expect(list.map((x) => x.id)).toEqual(["w-one", "w-two"]);
      expect(list[0]).toMatchObject({ v: 1, version: "0.0.0-test", pid: process.pid, labels: { zone: "test" }, state: "running" });
      expect(list[0]!.procs.map((p) => p.name)).toEqual(["proc-1", "proc-2"]);

      const [st] = await controlWorkers(nc, "w-one", "status");
      expect(st).toMatchObject({ ok: true, verb: "status", worker: { id: "w-one" } });

      const paused = await controlWorkers(nc, "all", "pause");
      expect(paused.map((r) => (r.ok ? r.worker.id : "")).sort()).toEqual(["w-one", "w-two"]);
      expect(await w.supervisor.waitFor(() => w.supervisor.status().procs.every((p) => p.loop === "paused"), 5000)).toBe(true);
      expect(w2.supervisor.status().state).toBe("paused");

      await controlWorkers(nc, "w-two", "resume");
      expect(w2.supervisor.status().state).toBe("running");
      expect(w.supervisor.status().state).toBe("paused");

      await expect(controlWorkers(nc, "nobody", "status", 500)).rejects.toBeInstanceOf(NoSuchWorkerError);

      const [dr] = await controlWorkers(nc, "w-one", "drain");
      expect(dr!.ok).toBe(true);
      expect(await w.done).toBe(0);
      const after = await until(() => listWorkers(nc), (l) => l.length === 1);
      expect(after.map((x) => x.id)).toEqual(["w-two"]);
    } finally {
      await w.stop();
      await w2.stop();
    }
  });

  test("a second live worker with the same id is refused; a dead worker's entry is taken over", async () => {
    const target = { status: () => ({ state: "running" as const, procs: [] }), pause() {}, resume() {}, drain() {} };
    const base = { nc, id: "w-dup", host: "h1", version: "t", startedAt: 0, labels: {}, target, presenceTtlMs: 15_000, refreshMs: 5_000, log: quiet };
    const a = new ControlPlane({ ...base, pid: 111 });
    await a.start();
    const b = new ControlPlane({ ...base, pid: 222 });
    await expect(b.start()).rejects.toThrow(`worker id "w-dup" is in use by a live worker (pid 111 on host h1)`);
    await b.stop(); // a refused start must not remove the live worker's entry
    expect(JSON.parse((await (await workersBucket(nc)).get("w-dup"))!.string()).pid).toBe(111);
    // a dies without cleaning up: its entry stays, but nobody answers on its subject any more
    const kv = await workersBucket(nc);
    const left = (await kv.get("w-dup"))!.string();
    await a.stop();
    await kv.put("w-dup", left);
    const c = new ControlPlane({ ...base, pid: 333 });
    await c.start();
    expect(JSON.parse((await kv.get("w-dup"))!.string()).pid).toBe(333);
    await c.stop();
  });

  test("pid file: a live owner is refused, a dead one's file taken over, and it is removed on exit", async () => {
    const d = tempDir();
    const pidFile = join(d.path, "worker.pid");
    try {
      // a live docctl worker (its command line says so: another program with that pid is taken over)
      const fake = join(d.path, "docctl");
      writeFileSync(fake, "#!/bin/sh\nsleep 30\n", { mode: 0o755 });
      const other = Bun.spawn(["/bin/sh", fake, "worker"]);
      await eventually(() => (commandOf(other.pid) ?? []).includes("worker"), 5000, "the stand-in worker to run");
      writeFileSync(pidFile, `${other.pid}\n`);
      await expect(start("w-pid2", { procs: 1, pidFile })).rejects.toThrow(`another worker is running with pid ${other.pid}`);
      other.kill("SIGKILL");
      await other.exited;
      expect(existsSync(pidFile)).toBe(true);
      const dead = Bun.spawn(["true"]);
      await dead.exited;
      writeFileSync(pidFile, `${dead.pid}\n`);
      const w3 = await start("w-pid3", { procs: 1, pidFile });
      expect(Bun.file(pidFile).size).toBeGreaterThan(0);
      await w3.stop();
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      d.cleanup();
    }
  });
});
