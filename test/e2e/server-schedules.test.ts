// Schedules live in the NATS server (message schedules, nats-server 2.14+): they fire with no docctl
// process running, their jobs wait in the queue and run when a worker starts; a cron expression with
// a time zone fires at the right instant; missed ticks (the server down) are fired once when it is
// back; ls shows next run, last run and last result; pause, resume and run.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, type Background } from "../helpers/cli.ts";
import { eventually } from "../helpers/eventually.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let worker: Background | undefined;
const env = () => ({ DOCCTL_NATS_URL: nats.url });

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir();
});
afterEach(async () => {
  await worker?.stop("SIGKILL");
  worker = undefined;
});
afterAll(async () => {
  await nats?.cleanup();
  dir?.cleanup();
});

const jobFile = (name: string, job: unknown) => {
  const p = join(dir.path, `${name}.json`);
  writeFileSync(p, JSON.stringify(job));
  return p;
};

async function withNc<T>(f: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectNats({ url: nats.url });
  try {
    return await f(nc);
  } finally {
    await nc.close();
  }
}

/** Jobs waiting on docctl.tasks.<handler> (nobody took them). */
const queued = (handler: string) =>
  withNc(async (nc) => {
    const si = await (await jetstreamManager(nc)).streams.info("DOCCTL_TASKS", { subjects_filter: `docctl.tasks.${handler}` });
    return si.state.subjects?.[`docctl.tasks.${handler}`] ?? 0;
  });

/** The ids of the results of schedule `name`'s jobs: sched-<name>-<tick ms>. */
const resultIds = (name: string) =>
  withNc(async (nc) => {
    const si = await (await jetstreamManager(nc)).streams.info("DOCCTL_RESULTS", { subjects_filter: "docctl.results.>" }).catch(() => null);
    return Object.keys(si?.state.subjects ?? {})
      .map((s) => s.split(".")[3]!)
      .filter((id) => id.startsWith(`sched-${name}-`));
  });

const lsJson = async (name: string) => {
  const r = await docctl(["schedule", "ls", "--json"], { env: env() });
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { name: string }[]).find((s) => s.name === name) as any;
};

test("a schedule fires with only nats-server running; its jobs run when a worker starts", async () => {
  const add = await docctl(["schedule", "add", "tick", "--every", "1s", "--create", jobFile("tick", { handler: "echo", payload: { hi: 1 } })], { env: env() });
  expect(add.stderr).toBe("");
  expect(add.code).toBe(0);
  expect(add.stdout).toContain("schedule tick: every 1.0s; next run");
  // no docctl process runs: the server fires the schedule, the jobs wait in the queue
  await eventually(async () => (await queued("echo")) >= 3, 20_000, "3 ticks queued by the server alone");
  expect(await resultIds("tick")).toEqual([]);
  const paused = await docctl(["schedule", "pause", "tick"], { env: env() });
  expect(paused.code).toBe(0);
  const waiting = await queued("echo");
  expect((await lsJson("tick")).paused).toBe(true);
  // a worker started now runs every tick's job, each with an id of schedule and tick
  worker = spawnDocctl(["worker", "--procs", "1", "-v"], { env: env() });
  const ids = await eventually(async () => {
    const ids = await resultIds("tick");
    return ids.length >= waiting ? ids : undefined;
  }, 30_000, "the queued ticks to run");
  for (const id of ids) expect(id).toMatch(/^sched-tick-\d+000$/);
  expect(new Set(ids).size).toBe(ids.length);
  // each acked after its result is stored: the queue empties
  await eventually(async () => (await queued("echo")) === 0, 15_000, "the queue to be empty");
  // ls: last run and its result, recorded by the worker
  const s = await eventually(async () => {
    const s = await lsJson("tick");
    return s?.last ? s : undefined;
  }, 10_000, "the last run in schedule ls");
  expect(s.last.ok).toBe(true);
  expect(ids).toContain(s.last.id);
  const text = await docctl(["schedule", "ls"], { env: env() });
  expect(text.stdout).toMatch(/^tick: every 1.0s, paused, last run \S+Z ok \(sched-tick-\d+\)$/m);
  // run: one tick now, even paused; resume: fires again
  const run = await docctl(["schedule", "run", "tick"], { env: env() });
  expect(run.code).toBe(0);
  const runId = /queued (sched-tick-\d+)/.exec(run.stdout)![1]!;
  await eventually(async () => (await resultIds("tick")).includes(runId), 20_000, "the run-now job");
  const before = (await resultIds("tick")).length;
  expect((await docctl(["schedule", "resume", "tick"], { env: env() })).code).toBe(0);
  await eventually(async () => (await resultIds("tick")).length >= before + 2, 20_000, "ticks after the resume");
  expect((await docctl(["schedule", "rm", "tick"], { env: env() })).code).toBe(0);
  expect((await docctl(["schedule", "run", "tick"], { env: env() })).code).toBe(1);
}, 120_000);

test("a cron schedule with a time zone fires at the right instant", async () => {
  worker = spawnDocctl(["worker", "--procs", "1", "-v"], { env: env() });
  await worker.waitFor(/pulling/, 30_000);
  // an instant 8-9 s ahead, written as New York wall-clock time (6 fields, seconds first)
  const at = Math.ceil((Date.now() + 8000) / 1000) * 1000;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const cron = `${Number(parts.second)} ${Number(parts.minute)} ${Number(parts.hour)} ${Number(parts.day)} ${Number(parts.month)} *`;
  const add = await docctl(["schedule", "add", "ny", "--cron", cron, "--tz", "America/New_York", jobFile("ny", { handler: "echo", payload: {} })], { env: env() });
  expect(add.code).toBe(0);
  expect(add.stdout).toContain(`next run ${new Date(at).toISOString()}`);
  const ids = await eventually(async () => {
    const ids = await resultIds("ny");
    return ids.length ? ids : undefined;
  }, 30_000, "the cron tick");
  // the tick is the instant asked for, in New York time (a zone ignored would be hours off)
  expect(ids).toEqual([`sched-ny-${at}`]);
  const r = await docctl(["result", `sched-ny-${at}`, "--json"], { env: env() });
  expect(JSON.parse(r.stdout).started_at).toBeGreaterThanOrEqual(at);
  await docctl(["schedule", "rm", "ny"], { env: env() });
}, 90_000);

test("missed ticks while the server is down are fired once when it is back, not one per tick", async () => {
  const add = await docctl(["schedule", "add", "gap", "--every", "2s", "--create", jobFile("gap", { handler: "gapper", payload: {} })], { env: env() });
  expect(add.code).toBe(0);
  await eventually(async () => (await queued("gapper")) >= 1, 20_000, "a first tick");
  const before = await queued("gapper");
  // down across four ticks
  await nats.stop();
  await Bun.sleep(9_000);
  await nats.restart();
  const after = await eventually(async () => {
    const n = await queued("gapper").catch(() => 0);
    return n > before ? n : undefined;
  }, 20_000, "the catch-up tick after the restart");
  // one catch-up firing (at most one regular tick beside it), never the four missed ones
  expect(after - before).toBeGreaterThanOrEqual(1);
  expect(after - before).toBeLessThanOrEqual(2);
  await docctl(["schedule", "rm", "gap"], { env: env() });
}, 90_000);
