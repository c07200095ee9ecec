// A proc whose supervisor is SIGKILLed while a job never ends: it drains, and when the job still runs
// after the supervisor's --drain-timeout it exits instead of living on as an orphan nobody supervises.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docctl, eventually, spawnDocctl, type Background } from "../helpers/cli.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let sup: Background | undefined;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir("docctl-orphan-");
  writeFileSync(
    join(dir.path, "stuck.ts"),
    `import { writeFileSync } from "node:fs";
export default { timeoutMs: 600_000, async handle() { writeFileSync(${JSON.stringify(join(dir.path, "started"))}, String(process.pid)); await new Promise(() => {}); } };
`,
  );
});

afterAll(async () => {
  await sup?.stop("SIGKILL");
  await nats.cleanup();
  dir.cleanup();
});

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\S+ \S+ Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/\(.*\)/, "x"));

test("a proc orphaned with a job that never ends exits after the drain timeout", async () => {
  const env = { DOCCTL_NATS_URL: nats.url };
  sup = spawnDocctl(["worker", "--procs", "1", "--plugins", dir.path, "--handlers", "stuck", "--drain-timeout", "2s", "-v"], { env });
  await sup.waitFor(/pulling stuck/);
  const sub = await docctl(["submit", "--no-wait", "-"], { env, stdin: JSON.stringify({ handler: "stuck", payload: {} }) });
  expect(sub.code).toBe(0);
  const procPid = Number(await eventually(() => existsSync(join(dir.path, "started")) && readFileSync(join(dir.path, "started"), "utf8"), 20_000, "the job to start"));
  expect(alive(procPid)).toBe(true);
  sup.proc.kill("SIGKILL");
  await sup.proc.exited;
  await eventually(() => !alive(procPid), 20_000, `orphaned proc ${procPid} to exit`);
});
