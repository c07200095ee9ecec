// Fleet-wide limits and schedules through the compiled binary: a concurrency limit across procs, a rate
// limit over many jobs, both changed while the worker runs; two managers firing one schedule.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, eventually, spawnDocctl, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let worker: Background;
const env = () => ({ DOCCTL_NATS_URL: nats.url, JOBS_LOG: join(dir.path, "jobs.log") });

const PLUGINS: Record<string, string> = {
  // logs "<id> start|end <ms>" around a short sleep
  "span.ts": `import { appendFileSync } from "node:fs";
export default async (p: { ms: number }, ctx: any) => {
  appendFileSync(process.env.JOBS_LOG!, ctx.id + " start " + Date.now() + "\\n");
  await new Promise(r => setTimeout(r, p.ms));
  appendFileSync(process.env.JOBS_LOG!, ctx.id + " end " + Date.now() + "\\n");
  return p.ms;
};`,
};

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir();
  mkdirSync(join(dir.path, "plugins"));
  for (const [f, src] of Object.entries(PLUGINS)) writeFileSync(join(dir.path, "plugins", f), src);
  worker = spawnDocctl(["worker", "--plugins", join(dir.path, "plugins"), "--procs", "2", "--concurrency", "4", "-vv"], { env: env() });
  await worker.waitFor(/pulling[\s\S]*pulling/, 30_000);
});

afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  dir?.cleanup();
});

const file = (name: string, body: unknown) => {
  const p = join(dir.path, name);
  writeFileSync(p, JSON.stringify(body));
  return p;
};
const events = (prefix: string) =>
  (existsSync(env().JOBS_LOG) ? readFileSync(env().JOBS_LOG, "utf8") : "")
    .split("\n")
    .filter((l) => l.startsWith(prefix))
    .map((l) => {
      const [id, kind, at] = l.split(" ");
      return { id: id!, kind: kind as "start" | "end", at: Number(at) };
    });

/** The most jobs running at once, from their start and end lines. */
function maxOverlap(ev: { kind: string; at: number }[]): number {
  let cur = 0;
  let max = 0;
  for (const e of [...ev].sort((a, b) => a.at - b.at || (a.kind === "end" ? -1 : 1))) {
    cur += e.kind === "start" ? 1 : -1;
    max = Math.max(max, cur);
  }
  return max;
}

describe("fleet-wide limits, set while the worker runs", () => {
  test("concurrency 2 holds across 2 procs x 4 slots", async () => {
    const set = await docctl(["limit", "set", "span", "--concurrency", "2"], { env: env() });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("span: concurrency 2");
    // the workers watch the limits bucket: give the change a moment to arrive by checking ls
    expect(JSON.parse((await docctl(["limit", "ls", "--json"], { env: env() })).stdout)).toMatchObject([{ concurrency: 2 }]);
    const r = await docctl(["submit", file("c.json", { handler: "span", id: "c", batch: Array.from({ length: 12 }, () => ({ ms: 300 })) })], { env: env() });
    expect(r.code).toBe(0);
    const ev = events("c-");
    expect(ev.filter((e) => e.kind === "start")).toHaveLength(12);
    expect(maxOverlap(ev)).toBeLessThanOrEqual(2);
  }, 60_000);

  test("rate 5/s holds over 20 jobs; lifting the limits lets them run at once", async () => {
    expect((await docctl(["limit", "rm", "span"], { env: env() })).code).toBe(0);
    expect((await docctl(["limit", "set", "span", "--rate", "5/s"], { env: env() })).stdout).toContain("span: rate 5/s");
    const r = await docctl(["submit", file("r.json", { handler: "span", id: "r", batch: Array.from({ length: 20 }, () => ({ ms: 10 })) })], { env: env() });
    expect(r.code).toBe(0);
    const starts = events("r-").filter((e) => e.kind === "start").map((e) => e.at).sort((a, b) => a - b);
    expect(starts).toHaveLength(20);
    // no window of one second holds more than 5 starts (starts are spaced 200 ms; 50 ms for clock reads)
    for (let i = 0; i + 5 < starts.length; i++) expect(starts[i + 5]! - starts[i]!).toBeGreaterThanOrEqual(950);
    expect((await docctl(["limit", "rm", "span"], { env: env() })).stdout).toContain("span: limits lifted");
    expect((await docctl(["limit", "rm", "span"], { env: env() })).code).toBe(1);
    const free = await docctl(["submit", file("f.json", { handler: "span", id: "f", batch: Array.from({ length: 8 }, () => ({ ms: 400 })) })], { env: env() });
    expect(free.code).toBe(0);
    expect(maxOverlap(events("f-"))).toBeGreaterThan(2);
  }, 60_000);
});

describe("schedules", () => {
  // the server fires the schedule (managers fire nothing): one job per tick however many managers run
  test("two managers with one schedule: one job per tick, also after one of them is killed", async () => {
    const job = file("s.json", { handler: "span", payload: { ms: 1 } });
    const add = await docctl(["schedule", "add", "tick", "--every", "1s", job], { env: env() });
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/schedule tick: every 1\.0s; next run \d{4}-/);
    const managers = [0, 1].map(() => spawnDocctl(["manager", "--max", "1", "--interval", "1s", "-vvvv"], { env: env() }));
    try {
      await Promise.all(managers.map((m) => m.waitFor(/manager .* (is the leader|is on standby)/, 20_000)));
      await eventually(() => events("sched-tick-").filter((e) => e.kind === "start").length >= 3, 30_000, "three ticks");
      for (const m of managers) expect(m.output()).not.toContain("schedule tick: fired");
      // one manager dies: the other goes on firing, still one job per tick
      await managers[0]!.stop("SIGKILL");
      const before = events("sched-tick-").filter((e) => e.kind === "start").length;
      const runs = await eventually(() => {
        const s = events("sched-tick-").filter((e) => e.kind === "start");
        return s.length >= before + 3 ? s : undefined;
      }, 30_000, "three more ticks");
      const ids = runs.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^sched-tick-\d+$/);
    } finally {
      await Promise.all(managers.map((m) => m.stop()));
    }
    // every tick ran once: no id twice, even counting ticks fired after the check above
    const all = events("sched-tick-").filter((e) => e.kind === "start").map((e) => e.id);
    expect(new Set(all).size).toBe(all.length);
    const st = await docctl(["status"], { env: env() });
    expect(st.stdout).toMatch(/schedule tick: every 1\.0s, next in \d/);
    expect(JSON.parse((await docctl(["status", "--json"], { env: env() })).stdout).job_control.schedules[0]).toMatchObject({ name: "tick" });
    const ls = await docctl(["schedule", "ls", "--json"], { env: env() });
    expect(JSON.parse(ls.stdout)).toMatchObject([{ name: "tick", every_ms: 1000 }]);
    expect((await docctl(["schedule", "rm", "tick"], { env: env() })).code).toBe(0);
    expect((await docctl(["schedule", "rm", "tick"], { env: env() })).code).toBe(1);
  }, 90_000);
});
