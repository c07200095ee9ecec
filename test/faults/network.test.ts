// Fault (d): a TCP proxy stands between two of the three worker procs and NATS, twice for 4 s:
// - cut: it drops their connections (and refuses new ones); their in-flight jobs go to the third proc
//   or come back after the cut;
// - stall: it stops forwarding without closing anything, then delivers everything queued meanwhile:
//   late pull replies, late acks, late results of jobs already redelivered elsewhere.
// Either way every job still ends once.
import { afterEach, beforeEach, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { startProxy, type TcpProxy } from "../helpers/proxy.ts";
import { tempDir } from "../helpers/tmp.ts";
import { WorkerPool, rng, runFaultBatch, seed, tickPlugin } from "./harness.ts";

let nats: NatsServerHandle | undefined;
let proxy: TcpProxy | undefined;
let dir: { path: string; cleanup(): void } | undefined;
let pool: WorkerPool | undefined;
let nc: NatsConnection | undefined;

beforeEach(async () => {
  // the submitter rides through the faults: it reconnects for as long as it takes
  ({ ns: nats, nc } = await setup({ connect: { reconnectForever: true } }));
  proxy = await startProxy(nats.port);
  dir = tempDir("docctl-faults-");
});

afterEach(async () => {
  await pool?.stopAll();
  proxy?.stop();
  await cleanup(nats, nc);
  dir?.cleanup();
});

async function networkFault(kind: "cut" | "stall", rngSeed: number) {
  const { plugins, log } = tickPlugin(dir!.path);
  // procs 0 and 1 reach NATS through the proxy, proc 2 directly
  const args = (i: number) => [
    "worker", "--nats", i < 2 ? proxy!.url : nats!.url,
    "--plugins", plugins, "--handlers", "tick", "--concurrency", "4", "--ack-wait", "1s", "--max-attempts", "20", "-v",
  ];
  pool = new WorkerPool(args, { FAULT_LOG: log });
  await pool.start(3);
  const r = rng(rngSeed);
  let faults = 0;
  const { figures } = await runFaultBatch({
    scenario: kind === "cut" ? "network cut between workers and NATS" : "network stall (no RST) between workers and NATS",
    nc: nc!,
    n: 2000,
    logFile: log,
    jobMs: () => 20 + Math.floor(r() * 30),
    async chaos(done) {
      for (const pause of [300, 1500]) {
        await Bun.sleep(pause);
        if (done()) break;
        await (kind === "cut" ? proxy!.cut(4000) : proxy!.stall(4000));
        faults++;
      }
      return `${faults} ${kind}s of 4 s (2 of 3 procs behind the proxy)`;
    },
  }).catch((e) => {
    throw new Error(`${(e as Error).message}\n${pool!.outputs()}`);
  });
  expect(faults).toBeGreaterThan(0);
  expect(figures.seenBySubmitter).toBe(2000);
}

test("2000 jobs while a proxy cuts two of three worker procs off NATS for 4 s, twice: one result per job, none missing", async () => {
  await networkFault("cut", seed + 4);
  // the procs behind the proxy connected again after the cuts
  expect(proxy!.accepted()).toBeGreaterThan(2);
});

test("2000 jobs while a proxy silences two of three worker procs' connections for 4 s, twice: one result per job, none missing", async () => {
  await networkFault("stall", seed + 5);
});
