// docctl beside its peers on the same no-op jobs, same concurrency, same machine, in one run:
//   docctl: the compiled worker (one proc) + submitBatch, results stored in JetStream;
//   BullMQ on Redis: one Worker process, jobs added with addBulk, completion counted with QueueEvents;
//   the raw JetStream loop (bench/raw-worker.ts): pull → publish result → ack, no framework.
// Prints jobs/s per system and concurrency (median of the rounds) and writes docs/throughput.svg.
// Run: npm install --prefix bench && node_modules/.bin/bun bench/peers.ts [jobs=3000] [concurrencies=1,8,64] [rounds=3]
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "@nats-io/transport-node";
import { Queue, QueueEvents } from "bullmq";
import { freePort, startNatsServer } from "../test/helpers/nats.ts";
import { ROOT } from "../test/helpers/cli.ts";
import { docctlEchoRate, rawLoopRate, waitLine } from "./echo-runs.ts";
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

// --- the three systems ---------------------------------------------------------------------------
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

// --- run -----------------------------------------------------------------------------------------
const systems: { name: string; run: (c: number) => Promise<number> }[] = [
  { name: "docctl", run: (c) => docctlEchoRate(nc, nats.url, N, c) },
  { name: "BullMQ (Redis)", run: bullmqRun },
  { name: "raw JetStream loop", run: (c) => rawLoopRate(nc, nats.url, N, c) },
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
