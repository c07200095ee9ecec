// Fault (a): worker procs SIGKILLed at random mid-batch and replaced; every job still ends once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { WorkerPool, rng, runFaultBatch, seed, tickPlugin } from "./harness.ts";

let nats: NatsServerHandle | undefined;
let dir: { path: string; cleanup(): void } | undefined;
let pool: WorkerPool | undefined;
let nc: NatsConnection | undefined;

beforeAll(async () => {
  // the submitter rides through the faults: it reconnects for as long as it takes
  ({ ns: nats, nc } = await setup({ connect: { reconnectForever: true } }));
  dir = tempDir("docctl-faults-");
});

afterAll(async () => {
  await pool?.stopAll();
  await cleanup(nats, nc);
  dir?.cleanup();
});

test("2000 jobs while one of 3 worker procs is SIGKILLed every second: one result per job, none missing", async () => {
  const { plugins, log } = tickPlugin(dir!.path);
  const args = () => ["worker", "--plugins", plugins, "--handlers", "tick", "--concurrency", "4", "--ack-wait", "1s", "--max-attempts", "20", "-v"];
  pool = new WorkerPool(args, { DOCCTL_NATS_URL: nats!.url, FAULT_LOG: log });
  await pool.start(3);
  const r = rng(seed + 1);
  const { figures } = await runFaultBatch({
    scenario: "worker procs SIGKILLed",
    nc: nc!,
    n: 2000,
    logFile: log,
    jobMs: () => 20 + Math.floor(r() * 30),
    async chaos(done) {
      while (!done()) {
        await pool!.killAndReplace(Math.floor(r() * 3));
        await Bun.sleep(500 + r() * 500);
      }
      return `${pool!.kills} procs SIGKILLed and replaced`;
    },
  }).catch((e) => {
    throw new Error(`${(e as Error).message}\n${pool!.outputs()}`);
  });
  expect(pool.kills).toBeGreaterThan(0);
  expect(figures.seenBySubmitter).toBe(2000);
});
