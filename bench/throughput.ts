// Echo jobs end to end through docctl (compiled worker + submitBatch) beside a raw JetStream loop, same server.
// Run: node_modules/.bin/bun bench/throughput.ts [jobs=5000] [concurrency=64] [rounds=3]
import { cpus } from "node:os";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../test/helpers/nats.ts";
import { docctlEchoRate, rawLoopRate } from "./echo-runs.ts";

const N = Number(process.argv[2] ?? 5000);
const C = Number(process.argv[3] ?? 64);
const ROUNDS = Number(process.argv[4] ?? 3);

const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });

console.log(`throughput: ${N} echo jobs, concurrency ${C}, ${ROUNDS} rounds each, ${cpus().length} cores (${cpus()[0]?.model})`);
const d: number[] = [];
const r: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  r.push(await rawLoopRate(nc, nats.url, N, C));
  d.push(await docctlEchoRate(nc, nats.url, N, C));
  console.log(`  round ${i + 1}: raw ${r.at(-1)!.toFixed(0)} jobs/s, docctl ${d.at(-1)!.toFixed(0)} jobs/s`);
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`median: raw loop ${med(r).toFixed(0)} jobs/s | docctl ${med(d).toFixed(0)} jobs/s | ratio docctl/raw ${(med(d) / med(r)).toFixed(2)}x (target >= 0.5x)`);
await nc.close();
await nats.cleanup();
