// docctl beside its peers on the same no-op jobs, same concurrency, same machine, in one run:
//   docctl: the compiled worker (one proc) + submitBatch, results stored in JetStream;
//   BullMQ on Redis: one Worker process, jobs added with addBulk, completion counted with QueueEvents;
//   the raw JetStream loop (bench/raw-worker.ts): pull → publish result → ack, no framework.
// Prints jobs/s per system and concurrency (median of the rounds) and writes docs/throughput.svg.
// Run: node_modules/.bin/bun bench/peers.ts [jobs=3000] [concurrencies=1,8,64] [rounds=3]
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { AckPolicy, DeliverPolicy, RetentionPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { encode } from "@msgpack/msgpack";
import { Queue, QueueEvents } from "bullmq";
import { freePort, startNatsServer } from "../test/helpers/nats.ts";
import { submitBatch } from "../core/runtime/submit.ts";
import { BIN, ROOT } from "../test/helpers/cli.ts";
import { throughputSvg, type Series } from "./svg-plot.ts";

const N = Number(process.argv[2] ?? 3000);
const CONCS = (process.argv[3] ?? "1,8,64").split(",").map(Number);
const ROUNDS = Number(process.argv[4] ?? 3);

// --- servers -------------------------------------------------------------------------------------
const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });
const redisPort = await freePort();
const redisDir = mkdtempSync(join(tmpdir(), "docctl-redis-"));
const redisBin = Bun.which("redis-server");
if (!redisBin) throw new Error("redis-server is not installed: apt-get install redis-server (scripts/deps.sh does)");
// Durability comparable to JetStream's file store (written at once, fsync'd periodically): AOF, fsync every second.
const redis = Bun.spawn(
  [redisBin, "--port", String(redisPort), "--bind", "127.0.0.1", "--dir", redisDir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--maxmemory-policy", "noeviction"],
  { stdout: "ignore", stderr: "inherit" },
);
for (let i = 0; ; i++) {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port: redisPort, socket: { data() {} } });
    s.end();
    break;
  } catch {
    if (i > 200) throw new Error("redis-server did not start");
    await Bun.sleep(25);
  }
}

async function waitLine(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<void> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += dec.decode(chunk);
    if (re.test(buf)) return;
  }
  throw new Error(`process ended before printing ${re}: ${buf}`);
}

// --- the three systems ---------------------------------------------------------------------------
async function docctlRun(c: number): Promise<number> {
  const w = Bun.spawn([BIN, "worker", "--nats", nats.url, "--handlers", "echo", "--concurrency", String(c), "-v"], { stderr: "pipe", stdout: "ignore" });
  await waitLine(w.stderr, /pulling/);
  const t0 = performance.now();
  const out = await submitBatch(nc, "echo", Array.from({ length: N }, (_, i) => ({ i })), { timeoutMs: 600_000 });
  const t = performance.now() - t0;
  if (out.results.some((r) => !r?.ok)) throw new Error("docctl: some echo jobs failed");
  w.kill("SIGTERM");
  await w.exited;
  return (N / t) * 1000;
}

let bullRound = 0;
async function bullmqRun(c: number): Promise<number> {
  const name = `peers-${++bullRound}`;
  const connection = { host: "127.0.0.1", port: redisPort };
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  const w = Bun.spawn([process.execPath, join(ROOT, "bench/bullmq-worker.ts"), String(redisPort), name, String(c)], { stdout: "pipe", stderr: "inherit" });
  await waitLine(w.stdout, /ready/);
  let done = 0;
  let finish!: () => void;
  let fail!: (e: Error) => void;
  const all = new Promise<void>((res, rej) => ((finish = res), (fail = rej)));
  events.on("completed", () => {
    if (++done === N) finish();
  });
  events.on("failed", ({ failedReason }) => fail(new Error(`bullmq: a job failed: ${failedReason}`)));
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({ name: "echo", data: { i: i + k }, opts: { jobId: `${name}-${i + k}` } })));
  }
  await all;
  const t = performance.now() - t0;
  w.kill("SIGTERM");
  await w.exited;
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return (N / t) * 1000;
}

async function rawRun(c: number): Promise<number> {
  const jsm = await jetstreamManager(nc);
  for (const s of ["RAW_TASKS", "RAW_RESULTS"]) await jsm.streams.delete(s).catch(() => {});
  await jsm.streams.add({ name: "RAW_TASKS", subjects: ["raw.tasks.>"], retention: RetentionPolicy.Workqueue });
  await jsm.streams.add({ name: "RAW_RESULTS", subjects: ["raw.results.>"] });
  await jsm.consumers.add("RAW_TASKS", { durable_name: "raw", ack_policy: AckPolicy.Explicit, max_ack_pending: 100_000 });
  const w = Bun.spawn([process.execPath, join(ROOT, "bench/raw-worker.ts"), nats.url, String(c)], { stdout: "pipe", stderr: "inherit" });
  await waitLine(w.stdout, /ready/);
  const js = jetstream(nc);
  const results = await js.consumers.get("RAW_RESULTS", { filter_subjects: "raw.results.>", deliver_policy: DeliverPolicy.All });
  const iter = await results.consume();
  const t0 = performance.now();
  let got = 0;
  const done = (async () => {
    for await (const _ of iter) if (++got === N) break;
  })();
  let next = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < N) {
        const i = next++;
        await js.publish(`raw.tasks.${i}`, encode({ i }), { msgID: `raw-${c}-${i}` });
      }
    }),
  );
  await done;
  const t = performance.now() - t0;
  w.kill("SIGKILL");
  await w.exited;
  return (N / t) * 1000;
}

// --- run -----------------------------------------------------------------------------------------
const systems: { name: string; run: (c: number) => Promise<number> }[] = [
  { name: "docctl", run: docctlRun },
  { name: "BullMQ (Redis)", run: bullmqRun },
  { name: "raw JetStream loop", run: rawRun },
];
const cpu = cpus();
console.log(`peers: ${N} no-op jobs per run, concurrency ${CONCS.join("/")}, ${ROUNDS} rounds, ${cpu.length} cores (${cpu[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
const samples = new Map<string, number[]>();
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of CONCS) {
      const line: string[] = [];
      // rotate the order each round so no system always runs first (warm caches, a busy neighbour)
      for (const s of [...systems.slice(r % 3), ...systems.slice(0, r % 3)]) {
        const v = await s.run(c);
        const k = `${s.name}@${c}`;
        samples.set(k, [...(samples.get(k) ?? []), v]);
        line.push(`${s.name} ${v.toFixed(0)}`);
      }
      console.log(`  round ${r + 1}, concurrency ${c}: ${line.join(" | ")} jobs/s`);
    }
  }
} finally {
  await nc.close();
  await nats.cleanup();
  redis.kill("SIGTERM");
  await redis.exited;
  rmSync(redisDir, { recursive: true, force: true });
}

const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const series: Series[] = systems.map((s) => ({ name: s.name, points: CONCS.map((c) => ({ x: c, y: med(samples.get(`${s.name}@${c}`)!) })) }));
console.log(`\nmedian jobs/s (${ROUNDS} rounds of ${N} jobs):`);
console.log(`| concurrency | ${systems.map((s) => s.name).join(" | ")} | docctl / BullMQ |`);
console.log(`|---:|${systems.map(() => "---:").join("|")}|---:|`);
for (const [i, c] of CONCS.entries()) {
  const ys = series.map((s) => s.points[i]!.y);
  console.log(`| ${c} | ${ys.map((y) => y.toFixed(0)).join(" | ")} | ${(ys[0]! / ys[1]!).toFixed(2)}x |`);
}
const svgPath = join(ROOT, "docs", "throughput.svg");
writeFileSync(svgPath, throughputSvg(series, { title: `No-op jobs/s against concurrency (${N} jobs, ${cpu.length} cores, median of ${ROUNDS})` }));
console.log(`wrote ${svgPath}`);
