// docctl beside its peers on the same no-op jobs, same concurrency, same machine, in one run:
//   docctl CLI: a batch file through `docctl submit FILE --json` against `docctl worker --procs 1`;
//   docctl library: the same worker fed by submitBatch in this process; results stored in JetStream;
//   BullMQ on Redis, on Node (bench/bullmq-run.mjs): one Worker process, jobs added with addBulk,
//   completion counted with QueueEvents;
//   the raw JetStream loop (bench/raw-worker.ts): pull → publish result → ack, no framework.
// Prints jobs/s per system and concurrency (median of the rounds) and writes docs/throughput.svg.
// Run: npm install --prefix bench && node_modules/.bin/bun bench/peers.ts [jobs=3000] [concurrencies=1,8,64] [rounds=3]
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "@nats-io/transport-node";
import { freePort, startNatsServer } from "../test/helpers/nats.ts";
import { ROOT } from "../test/helpers/cli.ts";
import { docctlCliEchoRate, docctlEchoRate, rawLoopRate } from "./echo-runs.ts";
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

// --- BullMQ, on Node -----------------------------------------------------------------------------
let bullRound = 0;
async function bullmqRun(c: number): Promise<number> {
  const node = Bun.which("node");
  if (!node) throw new Error("node is not installed: BullMQ runs on Node here (its home runtime)");
  const p = Bun.spawn([node, join(ROOT, "bench/bullmq-run.mjs"), String(redisPort), `peers-${++bullRound}`, String(N), String(c)], { stdout: "pipe", stderr: "inherit" });
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  const m = /rate ([\d.]+)/.exec(out);
  if (code !== 0 || !m) throw new Error(`bench/bullmq-run.mjs exited ${code}: ${out}`);
  return Number(m[1]);
}

// --- run -----------------------------------------------------------------------------------------
const systems: { name: string; run: (c: number) => Promise<number> }[] = [
  { name: "docctl CLI", run: (c) => docctlCliEchoRate(nats.url, N, c) },
  { name: "docctl library", run: (c) => docctlEchoRate(nc, nats.url, N, c) },
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
      for (const s of [...systems.slice(r % systems.length), ...systems.slice(0, r % systems.length)]) {
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
console.log(`| concurrency | ${systems.map((s) => s.name).join(" | ")} | CLI / BullMQ | library / BullMQ | CLI / raw |`);
console.log(`|---:|${systems.map(() => "---:").join("|")}|---:|---:|---:|`);
for (const [i, c] of CONCS.entries()) {
  const [cli, lib, bull, raw] = series.map((s) => s.points[i]!.y) as [number, number, number, number];
  console.log(`| ${c} | ${[cli, lib, bull, raw].map((y) => y.toFixed(0)).join(" | ")} | ${(cli / bull).toFixed(2)}x | ${(lib / bull).toFixed(2)}x | ${(cli / raw).toFixed(2)}x |`);
}
console.log(`targets: docctl CLI >= 2x BullMQ at every concurrency, >= 0.9x the raw loop at 64`);
const svgPath = join(ROOT, "docs", "throughput.svg");
writeFileSync(svgPath, throughputSvg(series, { title: `No-op jobs/s against concurrency (${N} jobs, ${cpu.length} cores, median of ${ROUNDS})` }));
console.log(`wrote ${svgPath}`);
