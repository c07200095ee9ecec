// lifo through the compiled binary against a real nats-server: `"lifo": true` in a job file and
// `submit --lifo` start before the jobs waiting before them (newest first); a lifo job whose proc is
// SIGKILLed mid-job is redelivered and runs to a result; bad lifo input is refused with its place.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, eventually, spawnDocctl, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let worker: Background | undefined;
const env = () => ({ DOCCTL_NATS_URL: nats.url, JOBS_LOG: join(dir.path, "jobs.log") });

const NAP = `import { appendFileSync } from "node:fs";
export default { maxAttempts: 3, timeoutMs: 120000, async handle(p: { ms: number }, ctx: any) {
  appendFileSync(process.env.JOBS_LOG!, ctx.id + " start " + Date.now() + "\\n");
  await new Promise((r) => setTimeout(r, p.ms));
  return { ms: p.ms };
} };`;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir();
  mkdirSync(join(dir.path, "plugins"));
  writeFileSync(join(dir.path, "plugins", "nap.ts"), NAP);
  worker = spawnDocctl(["worker", "--plugins", join(dir.path, "plugins"), "--procs", "1", "--concurrency", "1", "--ack-wait", "2s", "-vvv"], { env: env() });
  await worker.waitFor(/pulling/, 30_000);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  dir?.cleanup();
});

let n = 0;
const file = (body: unknown) => {
  const p = join(dir.path, `job-${++n}.json`);
  writeFileSync(p, typeof body === "string" ? body : JSON.stringify(body));
  return p;
};
const log = () => (existsSync(env().JOBS_LOG) ? readFileSync(env().JOBS_LOG, "utf8") : "");
const starts = () => [...log().matchAll(/^(\S+) start/gm)].map((m) => m[1]!);
const jobJson = async (id: string) => {
  const r = await docctl(["job", id, "--json"], { env: env() });
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
};

describe("lifo through docctl submit", () => {
  test('"lifo": true in a file and --lifo start before the jobs waiting before them, newest first', async () => {
    expect((await docctl(["pause", "--handler", "nap"], { env: env() })).code).toBe(0);
    for (const id of ["w1", "w2"]) expect((await docctl(["submit", "--no-wait", file({ handler: "nap", id, payload: { ms: 10 } })], { env: env() })).code).toBe(0);
    const a = await docctl(["submit", "--no-wait", file({ handler: "nap", id: "lf-a", payload: { ms: 10 }, lifo: true })], { env: env() });
    expect(a.code).toBe(0);
    expect(a.stderr).not.toContain("already submitted");
    expect((await docctl(["submit", "--no-wait", "--lifo", file({ handler: "nap", id: "lf-b", payload: { ms: 10 } })], { env: env() })).code).toBe(0);
    expect((await docctl(["resume", "--handler", "nap"], { env: env() })).code).toBe(0);
    await eventually(() => starts().length >= 4, 30_000, "four starts");
    expect(starts().slice(0, 4)).toEqual(["lf-b", "lf-a", "w1", "w2"]);
  }, 90_000);

  test("a lifo job whose proc is SIGKILLed mid-job is redelivered and runs to a result", async () => {
    const sub = spawnDocctl(["submit", "--lifo", "--json", file({ handler: "nap", id: "lf-kill", payload: { ms: 8000 } })], { env: env() });
    const running = await eventually(async () => {
      const j = await jobJson("lf-kill");
      return j?.state === "running" && j.pid ? j : undefined;
    }, 60_000, "the lifo job running, with its proc's pid (it runs 8 s: long enough to be seen on a loaded machine)");
    process.kill(running.pid, "SIGKILL");
    expect(await sub.proc.exited).toBe(0);
    expect(JSON.parse(sub.output().trim().split("\n").find((l) => l.startsWith("{"))!)).toMatchObject({ id: "lf-kill", ok: true, value: { ms: 8000 } });
    expect(starts().filter((id) => id === "lf-kill").length).toBe(2);
  }, 150_000);

  test("bad lifo input is refused with its place (exit 2)", async () => {
    const t = await docctl(["submit", file('{"handler": "nap", "payload": {}, "lifo": "yes"}')], { env: env() });
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/job-\d+\.json:1:\d+: "lifo" must be true or false \(got a string\)/);
    const d = await docctl(["submit", file({ handler: "nap", payload: {}, lifo: true, delay: "1m" })], { env: env() });
    expect(d.code).toBe(2);
    expect(d.stderr).toContain(`"lifo" cannot be combined with "delay" or "run_at"`);
    const b = await docctl(["submit", "--lifo", file([{ handler: "nap", payload: {} }, { handler: "nap", payload: {} }])], { env: env() });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("--lifo is for a file of one job");
  }, 60_000);
});
