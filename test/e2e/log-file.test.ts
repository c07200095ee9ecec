// --log-file: job lines carry the job id and type, and SIGUSR1 (what logrotate sends) reopens the file.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, eventually } from "../helpers/cli.ts";

let nats: NatsServerHandle;
const dir = tempDir();
beforeAll(async () => (nats = await startNatsServer()));
afterAll(async () => {
  await nats.cleanup();
  dir.cleanup();
});

test("a worker logs to --log-file, and after logrotate's SIGUSR1 to the new file", async () => {
  const log = join(dir.path, "worker.log");
  const pid = join(dir.path, "worker.pid");
  const w = spawnDocctl(["worker", "--procs", "2", "--log-file", log, "--pid-file", pid, "-vvv"], { env: { DOCCTL_NATS_URL: nats.url } });
  try {
    await eventually(() => /ready/.test(safeRead(log)), 30_000, "the procs to be ready");
    expect(w.output()).toBe(""); // nothing on stderr: it all goes to the file
    const r1 = await docctl(["submit", "-"], { env: { DOCCTL_NATS_URL: nats.url }, stdin: `{"handler":"echo","id":"before-rotate","payload":1}` });
    expect(r1.code).toBe(0);
    renameSync(log, `${log}.1`);
    process.kill(Number(readFileSync(pid, "utf8").trim()), "SIGUSR1");
    // Each proc opens the file anew on the forwarded signal: wait for it to be there again.
    await eventually(() => existsSync(log), 10_000, "the log file reopened");
    await Bun.sleep(300);
    const r2 = await docctl(["submit", "-"], { env: { DOCCTL_NATS_URL: nats.url }, stdin: `{"handler":"echo","id":"after-rotate","payload":2}` });
    expect(r2.code).toBe(0);
    await eventually(() => safeRead(log).includes("after-rotate"), 10_000, "the job line in the new file");
    expect(safeRead(`${log}.1`)).toContain("job_id=before-rotate handler=echo ");
    expect(safeRead(log)).toContain("job_id=after-rotate handler=echo ");
    expect(safeRead(log)).not.toContain("before-rotate");
  } finally {
    await w.stop();
  }
});

function safeRead(p: string): string {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
}
