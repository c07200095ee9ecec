// Fault (c): a three-node NATS cluster with streams of three replicas; one node is SIGKILLed mid-batch
// and brought back later. Workers and the submitter know every node's URL and move to a live one.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { startNatsCluster, type NatsCluster } from "../helpers/cluster.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, eventually } from "../helpers/cli.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { STREAM_RESULTS, STREAM_TASKS } from "../../core/runtime/protocol/subjects.ts";
import { WorkerPool, rng, runFaultBatch, seed, tickPlugin } from "./harness.ts";

let cluster: NatsCluster | undefined;
let dir: { path: string; cleanup(): void } | undefined;
let pool: WorkerPool | undefined;
let nc: NatsConnection | undefined;

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  dir = tempDir("docctl-faults-");
});

afterAll(async () => {
  await nc?.close().catch(() => {});
  await pool?.stopAll();
  await cluster?.cleanup();
  dir?.cleanup();
});

test("2000 jobs on R3 streams while one of three NATS nodes is SIGKILLed and later restarted: one result per job, none missing", async () => {
  const { plugins, log } = tickPlugin(dir!.path);
  // each proc lists the nodes in a different order, so they start spread over the cluster
  const urls = (i: number) => [...cluster!.nodes.slice(i), ...cluster!.nodes.slice(0, i)].map((n) => n.url).join(",");
  const args = (i: number) => [
    "worker", "--nats", urls(i), "--replicas", "3",
    "--plugins", plugins, "--handlers", "tick", "--concurrency", "4", "--ack-wait", "2s", "--max-attempts", "20", "-v",
  ];
  pool = new WorkerPool(args, { FAULT_LOG: log });
  await pool.start(3);
  nc = await connectNats({ url: cluster!.urls, reconnectForever: true });
  const jsm = await jetstreamManager(nc);
  expect((await jsm.streams.info(STREAM_TASKS)).config.num_replicas).toBe(3);

  const r = rng(seed + 3);
  // Kill the node that leads the task stream: the hardest case (a new leader must be elected).
  const leader = (await jsm.streams.info(STREAM_TASKS)).cluster?.leader;
  const victim = Math.max(0, cluster!.nodes.findIndex((n) => n.name === leader));
  let killedAt = 0;
  const { figures } = await runFaultBatch({
    scenario: "NATS cluster node SIGKILLed and restarted (R3)",
    nc,
    n: 2000,
    logFile: log,
    topology: { replicas: 3 },
    jobMs: () => 20 + Math.floor(r() * 30),
    async chaos(done) {
      await Bun.sleep(300);
      killedAt = Date.now();
      await cluster!.kill(victim);
      await Bun.sleep(4000);
      await cluster!.start(victim);
      return `node ${cluster!.nodes[victim]!.name} (task stream leader) SIGKILLed, back after ${((Date.now() - killedAt) / 1000).toFixed(1)} s${done() ? " (batch done while it was down)" : ""}`;
    },
    timeoutMs: 100_000,
  }).catch((e) => {
    throw new Error(`${(e as Error).message}\n${pool!.outputs()}`);
  });
  expect(killedAt).toBeGreaterThan(0);
  expect(figures.seenBySubmitter).toBe(2000);
  // the node that came back caught up: both streams have a leader and two current replicas again
  await cluster!.ready();
  await eventually(
    async () => {
      for (const s of [STREAM_TASKS, STREAM_RESULTS]) {
        const c = (await jsm.streams.info(s).catch(() => undefined))?.cluster;
        if (!c?.leader || c.replicas?.length !== 2 || !c.replicas.every((x) => x.current && !x.offline)) return false;
      }
      return true;
    },
    30_000,
    "the restarted node to catch up on both streams",
  );
});

test("a submitter or a worker without --replicas leaves the cluster's R3 streams at R3", async () => {
  const { plugins } = tickPlugin(dir!.path);
  const jsm = await jetstreamManager(nc!);
  const sub = await docctl(["submit", "-", "--json", "--timeout", "30s"], { env: { DOCCTL_NATS_URL: cluster!.urls }, stdin: `{"handler":"echo","payload":1}`, timeoutMs: 60_000 });
  // echo has no consumer on this cluster yet: refused (exit 2) after ensuring the streams, which must stay R3
  expect(sub.code).toBe(2);
  const w = await docctl(["worker", "--plugins", plugins, "--handlers", "tick", "--help"], { env: { DOCCTL_NATS_URL: cluster!.urls } });
  expect(w.stdout).toContain("--replicas");
  const plain = new WorkerPool(() => ["worker", "--nats", cluster!.urls, "--plugins", plugins, "--handlers", "tick", "-v"], {});
  try {
    await plain.start(1);
  } finally {
    await plain.stopAll();
  }
  for (const s of [STREAM_TASKS, STREAM_RESULTS]) expect((await jsm.streams.info(s)).config.num_replicas).toBe(3);
});
