// Fault (d, silent variant): the proxy between two of the three worker procs and NATS stops forwarding
// for 4 s without closing anything, twice, then delivers everything queued meanwhile: late pull replies,
// late acks, late results of jobs already redelivered elsewhere. Every job still ends once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { startProxy, type TcpProxy } from "../helpers/proxy.ts";
import { tempDir } from "../helpers/tmp.ts";
import { connectNats } from "../../core/runtime/connection.ts";
import { WorkerPool, rng, runFaultBatch, seed, tickPlugin } from "./harness.ts";

let nats: NatsServerHandle | undefined;
let proxy: TcpProxy | undefined;
let dir: { path: string; cleanup(): void } | undefined;
let pool: WorkerPool | undefined;
let nc: NatsConnection | undefined;

beforeAll(async () => {
  nats = await startNatsServer();
  proxy = await startProxy(nats.port);
  dir = tempDir("docctl-faults-");
});

afterAll(async () => {
  await nc?.close().catch(() => {});
  await pool?.stopAll();
  proxy?.stop();
  await nats?.cleanup();
  dir?.cleanup();
});

test("2000 jobs while a proxy silences two of three worker procs' connections for 4 s, twice: one result per job, none missing", async () => {
  const { plugins, log } = tickPlugin(dir!.path);
  // procs 0 and 1 reach NATS through the proxy, proc 2 directly
  const args = (i: number) => [
    "worker", "--nats", i < 2 ? proxy!.url : nats!.url,
    "--plugins", plugins, "--handlers", "tick", "--concurrency", "4", "--ack-wait", "1s", "--max-attempts", "20", "-v",
  ];
  pool = new WorkerPool(args, { FAULT_LOG: log });
  await pool.start(3);
  nc = await connectNats({ url: nats!.url, reconnectForever: true });
  const r = rng(seed + 5);
  let stalls = 0;
  const { figures } = await runFaultBatch({
    scenario: "network stall (no RST) between workers and NATS",
    nc,
    n: 2000,
    logFile: log,
    jobMs: () => 20 + Math.floor(r() * 30),
    async chaos(done) {
      for (const pause of [300, 1500]) {
        await Bun.sleep(pause);
        if (done()) break;
        await proxy!.stall(4000);
        stalls++;
      }
      return `${stalls} stalls of 4 s (2 of 3 procs behind the proxy)`;
    },
  }).catch((e) => {
    throw new Error(`${(e as Error).message}\n${pool!.outputs()}`);
  });
  expect(stalls).toBeGreaterThan(0);
  expect(figures.seenBySubmitter).toBe(2000);
});
