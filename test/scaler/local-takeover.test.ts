// The local provider after a kill -9 of the leading manager: the worker it started lives on, recorded in
// KV (DOCCTL_LOCAL_WORKERS); the standby that takes over adopts it instead of starting another, so
// --max 1 holds at every moment, and drains it once the work is done. The compiled binary throughout.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { listWorkers } from "../../core/runtime/client/fleet.ts";
import { submitBatch } from "../../core/runtime/client/submit.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { spawnDocctl, eventually } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
const dir = tempDir();
beforeAll(async () => {
  ({ ns, nc } = await setup());
  writeFileSync(join(dir.path, "nap.ts"), `export default { timeoutMs: 120_000, async handle(p: { ms: number }) { await new Promise((r) => setTimeout(r, p.ms)); return { slept: p.ms }; } };\n`);
});
afterAll(async () => {
  await cleanup(ns, nc);
  dir.cleanup();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("kill -9 of a local leader: the next leader adopts its worker, never more than --max, and drains it", async () => {
  const args = ["manager", "--provider", "local", "--nats", ns.url, "--max", "1", "--jobs-per-worker", "1", "--interval", "300ms", "--lease-ttl", "2s", "--idle", "3s",
    "--worker-args", `--procs 1 --concurrency 1 --plugins ${dir.path}`, "-v"];
  const a = spawnDocctl(args);
  let peak = 0;
  let sampling = true;
  // every 100 ms: workers alive (registered and not stopped) never above --max
  const sampler = (async () => {
    while (sampling) {
      const n = (await listWorkers(nc).catch(() => [])).filter((w) => w.state !== "stopped").length;
      peak = Math.max(peak, n);
      await Bun.sleep(100);
    }
  })();
  let b: ReturnType<typeof spawnDocctl> | undefined;
  try {
    // B starts once A leads, so which one leads is not a race
    await a.waitFor(/is the leader/, 60_000);
    b = spawnDocctl(args);
    await b.waitFor(/is on standby/, 60_000);
    await submitBatch(nc, "nap", [{ ms: 15_000 }], { wait: false });
    const [worker] = await eventually(async () => {
      const ws = (await listWorkers(nc)).filter((w) => w.state === "running" && w.in_flight === 1);
      return ws.length ? ws : undefined;
    }, 45_000, "A's worker running the job");
    expect(worker!.id).toContain(`-${a.proc.pid}-`);
    a.proc.kill("SIGKILL");
    await a.proc.exited;
    expect(alive(worker!.pid)).toBe(true); // an orphan now
    await b.waitFor(/is the leader/, 60_000);
    await b.waitFor(new RegExp(`local worker ${worker!.id} \\(pid ${worker!.pid}.*adopted`), 30_000);
    // the job finishes on the orphan; then the idle orphan is drained by B and exits
    await eventually(() => !alive(worker!.pid), 60_000, "the adopted worker drained and gone");
    await eventually(async () => (await listWorkers(nc)).filter((w) => w.state !== "stopped").length === 0, 20_000, "no worker left");
    expect(b.output()).not.toMatch(/created 1 server/);
    expect(peak).toBe(1);
  } finally {
    sampling = false;
    await sampler;
    if (a.proc.exitCode === null) a.proc.kill("SIGKILL");
    await b?.stop();
  }
}, 180_000);
