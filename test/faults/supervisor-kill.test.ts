// Fault (a) through the supervisor: `docctl worker --procs 3` while its procs are SIGKILLed at random
// (and recycled by --max-jobs 150); the supervisor restarts them, and every job still ends once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { eventually, spawnDocctl, type Background } from "../helpers/cli.ts";
import { rng, runFaultBatch, seed, tickPlugin } from "./harness.ts";

let nats: NatsServerHandle | undefined;
let dir: { path: string; cleanup(): void } | undefined;
let sup: Background | undefined;
let nc: NatsConnection | undefined;

beforeAll(async () => {
  // the submitter rides through the faults: it reconnects for as long as it takes
  ({ ns: nats, nc } = await setup({ connect: { reconnectForever: true } }));
  dir = tempDir("docctl-faults-");
});

afterAll(async () => {
  await sup?.stop(); // drains the procs; a second signal inside stop() would SIGKILL them
  await cleanup(nats, nc);
  dir?.cleanup();
});

/** pids whose parent is `ppid` (the supervisor's procs), from /proc */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) out.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

test("2000 jobs on `docctl worker --procs 3` while its procs are SIGKILLed every second and recycled: one result per job, none missing", async () => {
  const { plugins, log } = tickPlugin(dir!.path);
  sup = spawnDocctl(
    [
      "worker", "--procs", "3", "--plugins", plugins, "--handlers", "tick", "--concurrency", "4",
      "--ack-wait", "1s", "--max-attempts", "20", "--max-jobs", "150", "--start-window", "300ms", "-vv",
    ],
    { env: { DOCCTL_NATS_URL: nats!.url, FAULT_LOG: log } },
  );
  await sup.waitFor(/up: presence/, 30_000);
  await sup.waitFor(/(ready:[\s\S]*){3}/, 30_000);
  const r = rng(seed + 6);
  const firstSeen = new Map<number, number>();
  let kills = 0;
  const MAX_KILLS = 15;
  const { figures } = await runFaultBatch({
    scenario: "supervisor procs SIGKILLed and recycled",
    nc: nc!,
    n: 2000,
    logFile: log,
    jobMs: () => 20 + Math.floor(r() * 30),
    async chaos(done) {
      while (!done()) {
        const now = Date.now();
        const kids = childrenOf(sup!.proc.pid);
        for (const k of kids) if (!firstSeen.has(k)) firstSeen.set(k, now);
        // only procs past the start window: a kill right at start would count as a fast death
        const old = kids.filter((k) => now - firstSeen.get(k)! > 800);
        // At most MAX_KILLS: each kill within the stable period (30 s) doubles that proc's restart delay,
        // so killing for as long as jobs remain would starve the run on a slow machine (delays reach 30 s).
        if (old.length && kills < MAX_KILLS) {
          try {
            process.kill(old[Math.floor(r() * old.length)]!, "SIGKILL");
            kills++;
          } catch {
            /* it exited (recycled) just now */
          }
        }
        await Bun.sleep(500 + r() * 500);
      }
      const recycled = (sup!.output().match(/recycling:/g) ?? []).length;
      const restarts = (sup!.output().match(/started pid \d+ \(restart/g) ?? []).length;
      return `${kills} procs SIGKILLed, ${recycled} recycled after 150 jobs; the supervisor restarted procs ${restarts} times`;
    },
  }).catch((e) => {
    throw new Error(`${(e as Error).message}\n--- supervisor ---\n${sup!.output().slice(-5000)}`);
  });
  expect(kills).toBeGreaterThan(0);
  expect(figures.seenBySubmitter).toBe(2000);
  // the supervisor is still there, with 3 procs, none given up on
  expect(sup.proc.exitCode).toBeNull();
  expect(sup.output()).not.toContain("FATAL");
  await eventually(() => childrenOf(sup!.proc.pid).length === 3, 15_000, "the supervisor to run 3 procs again");
  expect(await sup.stop("SIGTERM")).toBe(0);
});
