// Logs that serve production: -vvvvv says strictly more than -vvv about the same job (debug: pulls,
// acks; trace: sizes, step timings), every pretty line has a time, and JSON lines carry a real level
// and job_id, handler, worker, proc as fields.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
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

const read = (p: string) => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
};

/** Runs one echo job through a worker at `flags`, returns its log file's lines once the job is logged done. */
async function oneJob(name: string, flags: string[]): Promise<string[]> {
  const log = join(dir.path, `${name}.log`);
  const w = spawnDocctl(["worker", "--procs", "1", "--name", `w-${name}`, "--log-file", log, ...flags], { env: { DOCCTL_NATS_URL: nats.url } });
  try {
    await eventually(() => /ready/.test(read(log)), 15_000, "the proc to be ready");
    const r = await docctl(["submit", "-"], { env: { DOCCTL_NATS_URL: nats.url }, stdin: `{"handler":"echo","id":"job-${name}","payload":{"n":1}}` });
    expect(r.code).toBe(0);
    await eventually(() => read(log).includes("done in"), 10_000, "the job's done line");
  } finally {
    await w.stop();
  }
  return read(log).split("\n").filter(Boolean);
}

test("-vvvvv logs strictly more than -vvv for the same job, and every pretty line carries a time", async () => {
  const three = (await oneJob("v3", ["-vvv"])).filter((l) => l.includes("job_id=job-v3"));
  const five = (await oneJob("v5", ["-vvvvv"])).filter((l) => l.includes("job_id=job-v5"));
  expect(three.length).toBeGreaterThan(0);
  expect(five.length).toBeGreaterThan(three.length);
  // what -vvv says is all there at -vvvvv (job ids aside), plus debug and trace lines
  const gist = (l: string) => l.replace(/^\S+ /, "").replace(/job-v\d/g, "J").replace(/\d+ms/g, "#ms");
  for (const l of three) expect(five.map(gist)).toContain(gist(l));
  expect(five.some((l) => / DEBUG .*acked/.test(l))).toBe(true);
  expect(five.some((l) => / TRACE .*received \d+ bytes/.test(l))).toBe(true);
  expect(five.some((l) => / TRACE .*result stored: \d+ bytes/.test(l))).toBe(true);
  for (const l of [...three, ...five]) expect(l).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (INFO |WARN |ERROR|DEBUG|TRACE) /);
}, 60_000);

test("JSON lines carry time, a real level, and job_id, handler, worker, proc as fields", async () => {
  const lines = (await oneJob("json", ["-vvvv", "--log-format", "json"])).map((l) => JSON.parse(l) as Record<string, unknown>);
  const done = lines.find((l) => String(l.msg).startsWith("done in"))!;
  expect(done).toMatchObject({ level: "info", job_id: "job-json", handler: "echo", worker: "w-json", proc: "proc-1" });
  expect(new Date(String(done.time)).getTime()).toBeGreaterThan(0);
  expect(String(done.msg)).not.toContain("job-json"); // the id is a field, not inside the message
  const levels = new Set(lines.map((l) => l.level));
  expect(levels.has("debug")).toBe(true);
  expect(levels.has("info")).toBe(true);
  expect(lines.every((l) => typeof l.time === "string" && typeof l.level === "string" && l.worker === "w-json")).toBe(true);
}, 60_000);
