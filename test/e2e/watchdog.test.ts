// The watchdog through the compiled worker: a handler that blocks its proc's event loop is killed after
// its limit plus the grace, ends TIMEOUT having run once, and the jobs beside it are not charged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { decodeResult, encodeJob, type JobV1, type ResultV1 } from "../../core/runtime/protocol/codec.ts";
import { listWorkers } from "../../core/runtime/client/fleet.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { spawnDocctl, eventually, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let nc: NatsConnection;
let jsm: JetStreamManager;
const workers: Background[] = [];

const note = `import { appendFileSync } from "node:fs"; const ran = (n: string, a: number) => appendFileSync(process.env.RUNS_FILE!, n + " " + a + "\\n");`;
const PLUGINS: Record<string, string> = {
  // synchronous CPU work: no await, so the event loop (and the setTimeout of the time limit) is blocked
  "spin.ts": `${note}\nexport default (p: { ms: number }, ctx: any) => { ran("spin", ctx.attempt); const end = Date.now() + p.ms; let x = 0; while (Date.now() < end) x++; return x; };`,
  // kills its proc a moment after it starts (a segfaulting library, say)
  "crash.ts": `${note}\nexport default async (_p: unknown, ctx: any) => { ran("crash", ctx.attempt); await Bun.sleep(300); process.exit(3); };`,
  // sleeps (a bystander) or spins (the culprit), so both kinds come in one pull of one consumer
  "rec.ts": `${note}\nexport default async (p: { ms?: number; spin?: number }, ctx: any) => { ran("rec:" + ctx.id, ctx.attempt); if (p.spin) { const end = Date.now() + p.spin; let x = 0; while (Date.now() < end) x++; return x; } await Bun.sleep(p.ms!); return "slept"; };`,
  "slow.ts": `${note}\nexport default async (p: { ms: number }, ctx: any) => { ran("slow", ctx.attempt); await Bun.sleep(p.ms); return { pid: process.pid }; };`,
};

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir("docctl-watchdog-");
  mkdirSync(join(dir.path, "plugins"));
  for (const [f, src] of Object.entries(PLUGINS)) writeFileSync(join(dir.path, "plugins", f), src);
  nc = await connectNats({ url: nats.url, reconnectForever: true });
  jsm = await jetstreamManager(nc);
}, 60_000);

afterAll(async () => {
  for (const w of workers) await w.stop();
  await nc?.close();
  await nats?.cleanup();
  dir?.cleanup();
});

const runs = (name: string) =>
  existsSync(join(dir.path, "runs.txt")) ? readFileSync(join(dir.path, "runs.txt"), "utf8").split("\n").filter((l) => l.startsWith(name + " ")) : [];
const resultOf = async (id: string): Promise<ResultV1 | undefined> => {
  const m = await jsm.streams.getMessage("DOCCTL_RESULTS", { last_by_subj: `docctl.results.${id}.${id}` }).catch(() => null);
  return m ? decodeResult(m.data) : undefined;
};
let seq = 0;
async function submit(handler: string, payload: unknown, extra: Partial<JobV1> = {}): Promise<string> {
  const id = `wd-${handler}-${++seq}`;
  await jetstream(nc).publish(`docctl.tasks.${handler}`, encodeJob({ v: 1, id, batch: id, handler, payload, submitted_at: Date.now(), ...extra }), { msgID: id });
  return id;
}

describe("watchdog", () => {
  test("a synchronous busy handler (limit 2 s, spins 30 s) ends TIMEOUT after one run; its neighbour is not charged; echo keeps flowing on the one proc", async () => {
    const w = spawnDocctl(["worker", "--procs", "1", "--name", "wd-1", "--plugins", join(dir.path, "plugins"), "-v"], {
      env: { DOCCTL_NATS_URL: nats.url, RUNS_FILE: join(dir.path, "runs.txt") },
    });
    workers.push(w);
    const first = await eventually(async () => (await listWorkers(nc)).find((x) => x.id === "wd-1" && x.procs[0]?.state === "RUNNING"), 30_000, "the worker");
    const pid0 = first.procs[0]!.pid;

    // a neighbour in flight on the same proc when it gets stuck: allowed one attempt only
    const slow = await submit("slow", { ms: 6000 }, { attempts: 1 });
    await eventually(async () => (await listWorkers(nc)).find((x) => x.id === "wd-1")?.in_flight === 1, 15_000, "the slow job in flight");
    const spin = await submit("spin", { ms: 30_000 }, { attempts: 1, timeout_ms: 2000 });
    await eventually(() => runs("spin").length === 1, 15_000, "the spin job to start");
    // while it spins, status tells the truth: the proc does not answer
    await eventually(async () => (await listWorkers(nc)).find((x) => x.id === "wd-1")?.procs[0]?.loop === "unresponsive", 10_000, "the proc shown unresponsive");
    const echoes = [];
    for (let i = 0; i < 5; i++) echoes.push(await submit("echo", { i }));

    const r = await eventually(() => resultOf(spin), 40_000, "the spin result");
    expect(r.ok).toBe(false);
    expect(r.error!.code).toBe("TIMEOUT");
    expect(r.error!.message).toContain("watchdog");
    expect(r.error!.message).toContain("spin/" + spin);
    expect(r.attempts).toBe(1);
    expect(runs("spin")).toEqual(["spin 1"]);
    expect(w.output()).toMatch(/proc-1 \(pid \d+\) is stuck: its event loop did not answer/);

    // the neighbour was handed back without being charged: it ran again as attempt 1 and succeeded
    const s = await eventually(() => resultOf(slow), 30_000, "the slow result");
    expect(s).toMatchObject({ ok: true, attempts: 1 });
    expect((s.value as { pid: number }).pid).not.toBe(pid0);
    for (const id of echoes) expect((await eventually(() => resultOf(id), 30_000, `echo ${id}`)).ok).toBe(true);
    const after = (await listWorkers(nc)).find((x) => x.id === "wd-1")!;
    expect(after.procs[0]!.pid).not.toBe(pid0);
    expect(after.procs[0]!.state).toBe("RUNNING");
    expect(await w.stop()).toBe(0);
  }, 90_000);

  test("jobs started in one pull with a spinner ([rec 6 s x3, spin] at --concurrency 4): the spinner ends TIMEOUT, the bystanders are handed back uncharged", async () => {
    // queued before the worker starts, so its first pull brings all four and they start together
    const recs = [];
    for (let i = 0; i < 3; i++) recs.push(await submit("rec", { ms: 6000 }, { attempts: 1 }));
    const spinner = await submit("rec", { spin: 30_000 }, { attempts: 1, timeout_ms: 2000 });
    const w = spawnDocctl(["worker", "--procs", "1", "--concurrency", "4", "--handlers", "rec", "--name", "wd-pull", "--plugins", join(dir.path, "plugins"), "-v"], {
      env: { DOCCTL_NATS_URL: nats.url, RUNS_FILE: join(dir.path, "runs.txt") },
    });
    workers.push(w);
    const r = await eventually(() => resultOf(spinner), 60_000, "the spinner's result");
    expect(r.ok).toBe(false);
    expect(r.error!.code).toBe("TIMEOUT");
    expect(r.attempts).toBe(1);
    // the four had started before the proc went silent: one pull
    expect(runs(`rec:${spinner}`)).toEqual([`rec:${spinner} 1`]);
    for (const id of recs) {
      const b = await eventually(() => resultOf(id), 60_000, `bystander ${id}`);
      // allowed one attempt only: charged for the watchdog's kill it would have failed ATTEMPTS_EXHAUSTED
      expect(b).toMatchObject({ ok: true, value: "slept", attempts: 1 });
      // it ran twice (cut short by the kill, then again), both times as attempt 1
      expect(runs(`rec:${id}`)).toEqual([`rec:${id} 1`, `rec:${id} 1`]);
    }
    expect(w.output()).toMatch(/stuck/);
    expect(await w.stop()).toBe(0);
  }, 120_000);

  test("a neighbour that crashes the proc does not use up an innocent job's attempt, and its own failure names the crash", async () => {
    const w = spawnDocctl(["worker", "--procs", "1", "--name", "wd-2", "--plugins", join(dir.path, "plugins"), "-v"], {
      env: { DOCCTL_NATS_URL: nats.url, RUNS_FILE: join(dir.path, "runs.txt") },
    });
    workers.push(w);
    await eventually(async () => (await listWorkers(nc)).find((x) => x.id === "wd-2" && x.procs[0]?.state === "RUNNING"), 30_000, "the worker");
    const innocent = await submit("slow", { ms: 3000 }, { attempts: 1 });
    await eventually(async () => (await listWorkers(nc)).find((x) => x.id === "wd-2")?.in_flight === 1, 15_000, "the innocent job in flight");
    const crasher = await submit("crash", {}, { attempts: 1 });

    const s = await eventually(() => resultOf(innocent), 40_000, "the innocent job's result");
    expect(s).toMatchObject({ ok: true, attempts: 1 });
    const c = await eventually(() => resultOf(crasher), 40_000, "the crashing job's result");
    expect(c.ok).toBe(false);
    expect(c.error!.code).toBe("ATTEMPTS_EXHAUSTED");
    expect(c.error!.message).toContain("crashed while running it (exit code 3)");
    expect(w.output()).toContain("exited with code 3");
    expect(await w.stop()).toBe(0);
  }, 90_000);

  test("while the watchdog waits, the stuck proc's job is held: with a 2 s ack wait and a second proc, it still runs only once", async () => {
    const w = spawnDocctl(["worker", "--procs", "2", "--name", "wd-3", "--ack-wait", "2s", "--plugins", join(dir.path, "plugins"), "-v"], {
      env: { DOCCTL_NATS_URL: nats.url, RUNS_FILE: join(dir.path, "runs.txt") },
    });
    workers.push(w);
    await eventually(async () => (await listWorkers(nc)).find((x) => x.id === "wd-3" && x.procs.every((p) => p.state === "RUNNING") && x.procs.length === 2), 30_000, "the worker");
    const before = runs("spin").length;
    const spin = await submit("spin", { ms: 30_000 }, { attempts: 1, timeout_ms: 2000 });
    const r = await eventually(() => resultOf(spin), 40_000, "the spin result");
    expect(r.error!.code).toBe("TIMEOUT");
    // without the hold JetStream would have handed it to the other proc after 2 s, while the first still spun
    expect(runs("spin").length - before).toBe(1);
    expect(await w.stop()).toBe(0);
  }, 90_000);
});
