// SIGUSR1 to a worker without --log-file (logrotate's signal, sent by a careless postrotate or a
// shared config): the supervisor passes it on to its procs, which must not die of it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl } from "../helpers/cli.ts";

let nats: NatsServerHandle;
const dir = tempDir("docctl-usr1-");
beforeAll(async () => (nats = await startNatsServer()));
afterAll(async () => {
  await nats.cleanup();
  dir.cleanup();
});

test("SIGUSR1 to a worker logging to stderr leaves its procs running", async () => {
  const env = { DOCCTL_NATS_URL: nats.url };
  const pid = join(dir.path, "worker.pid");
  const w = spawnDocctl(["worker", "--procs", "1", "--pid-file", pid, "-vv"], { env });
  try {
    await w.waitFor(/\[proc-1\] pulling/, 60_000);
    const procPid = (await statusProcs(env))[0]!.pid;
    process.kill(Number(readFileSync(pid, "utf8").trim()), "SIGUSR1");
    // a job after the signal runs on the same proc: it was not killed and restarted
    const r = await docctl(["submit", "-", "--json", "--timeout", "60s"], { env, stdin: `{"handler":"echo","id":"after-usr1","payload":1}` });
    expect(r.code).toBe(0);
    const procs = await statusProcs(env);
    expect(procs).toMatchObject([{ pid: procPid, restarts: 0 }]);
    expect(w.output()).not.toContain("exited with signal SIGUSR1");
  } finally {
    await w.stop();
  }
}, 120_000);

async function statusProcs(env: Record<string, string>): Promise<{ pid: number; restarts: number }[]> {
  const s = await docctl(["status", "--json"], { env });
  return JSON.parse(s.stdout).workers[0].procs;
}
