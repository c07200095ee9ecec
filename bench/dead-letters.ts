// The dashboard's dead-letter read with many dead letters: the old full read of the stream (what every
// poll did) beside the new read from the end of the stream, cold and cached.
// Run: node_modules/.bin/bun bench/dead-letters.ts [dead letters=50000] [polls=5]
import { cpus } from "node:os";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../test/helpers/nats.ts";
import { ensureStreams, topologyDefaults } from "../core/runtime/nats/topology.ts";
import { encodeDeadFitting, type DeadLetterV1 } from "../core/runtime/protocol/codec.ts";
import { listDead, recentDead, type DeadCache } from "../core/runtime/client/dead.ts";

const N = Number(process.argv[2] ?? 50_000);
const POLLS = Number(process.argv[3] ?? 5);
const SHOWN = 25; // what the dashboard shows

const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });
await ensureStreams(await jetstreamManager(nc), topologyDefaults);
const js = jetstream(nc);
const letter = (i: number): DeadLetterV1 => ({
  v: 1,
  job: { v: 1, id: `job-${i}`, batch: `batch-${Math.floor(i / 100)}`, handler: "title", payload: { url: `https://example.com/page/${i}` }, submitted_at: Date.now() },
  subject: "docctl.tasks.title",
  error: { code: "FETCH_FAILED", message: `https://example.com/page/${i}: 503 Service Unavailable after 3 attempts`, retryable: true },
  attempts: 3,
  worker: "worker-1",
  failed_at: Date.now(),
});
console.log(`dead letters: ${N} on DOCCTL_DEAD, ${POLLS} polls each, ${cpus().length} cores (${cpus()[0]?.model})`);
let t = performance.now();
const pending: Promise<unknown>[] = [];
for (let i = 0; i < N; i++) {
  pending.push(js.publish("docctl.dead.title", encodeDeadFitting(letter(i), 1 << 20)));
  if (pending.length >= 512) await Promise.all(pending.splice(0));
}
await Promise.all(pending);
console.log(`  published in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const rss = () => process.memoryUsage().rss / 2 ** 20;
async function timed(what: string, f: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  const before = rss();
  for (let i = 0; i < POLLS; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const med = ms[Math.floor(ms.length / 2)]!;
  console.log(`  ${what.padEnd(46)} median ${med.toFixed(1).padStart(8)} ms/poll  (min ${ms[0]!.toFixed(1)}, max ${ms.at(-1)!.toFixed(1)}; RSS ${before.toFixed(0)} -> ${rss().toFixed(0)} MiB)`);
  return med;
}
const old = await timed("old: full read (listDead, last 25 kept)", async () => (await listDead(nc)).slice(-SHOWN));
const cold = await timed("new: from the end of the stream, no cache", () => recentDead(nc, SHOWN));
const cache: DeadCache = {};
await recentDead(nc, SHOWN, cache);
const warm = await timed("new: cached, stream unchanged (a dashboard poll)", () => recentDead(nc, SHOWN, cache));
console.log(`old/new: ${(old / cold).toFixed(0)}x faster uncached, ${(old / warm).toFixed(0)}x cached`);
await nc.close();
await nats.cleanup();
