// The console's reads at size: the job browser over N finished jobs (1% failed, one failed job the
// oldest of all) beside `listJobs` (what `docctl jobs --state failed` reads), and the history charts
// over 24 h of samples (H handlers, W procs writing), cold (a page opened) and incremental (its polls).
// Run: node_modules/.bin/bun bench/console.ts [jobs=100000] [handlers=5] [writers=3]
import { cpus } from "node:os";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../test/helpers/nats.ts";
import { ensureStreams, topologyDefaults } from "../core/runtime/nats/topology.ts";
import { encodeDeadFitting, encodeResult, type ResultV1 } from "../core/runtime/protocol/codec.ts";
import { listJobs } from "../core/runtime/client/job-state.ts";
import { StreamJobSource } from "../core/runtime/http/jobs-source.ts";
import { HistoryReader, ensureHistoryStream, historySubject } from "../core/runtime/http/history.ts";

const N = Number(process.argv[2] ?? 100_000);
const H = Number(process.argv[3] ?? 5);
const W = Number(process.argv[4] ?? 3);
const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });
const jsm = await jetstreamManager(nc);
await ensureStreams(jsm, topologyDefaults);
const js = jetstream(nc);
console.log(`console reads: ${N} finished jobs (1% failed), 24 h of history for ${H} handlers x ${W} writers; ${cpus().length} cores (${cpus()[0]?.model})`);

const pending: Promise<unknown>[] = [];
const flush = async (force = false) => {
  if (force || pending.length >= 1024) await Promise.all(pending.splice(0));
};
const now = Date.now();
let t = performance.now();
for (let i = 0; i < N; i++) {
  const failed = i === 0 || i % 100 === 50;
  const id = i === 0 ? "needle-oldest" : `job-${i}`;
  const r: ResultV1 = { v: 1, id, batch: id, handler: "pdf", ok: !failed, ...(failed ? { error: { code: "BOOM", message: "it broke", retryable: false } } : { value: i }), attempts: 1, worker: "w1", started_at: now - 1000, finished_at: now - (N - i) };
  pending.push(js.publish(`docctl.results.${id}.${id}`, encodeResult(r)));
  if (failed) pending.push(js.publish("docctl.dead.pdf", encodeDeadFitting({ v: 1, job: { v: 1, id, batch: id, handler: "pdf", payload: { n: i }, submitted_at: now }, subject: "docctl.tasks.pdf", error: r.error!, attempts: 1, worker: "w1", failed_at: r.finished_at }, 1 << 20)));
  await flush();
}
await flush(true);
console.log(`  results published in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const ms = (t0: number) => (performance.now() - t0).toFixed(0).padStart(6) + " ms";
const src = new StreamJobSource(() => nc as never);
t = performance.now();
let page = await src.list({ state: "dead", q: "needle" });
console.log(`  job browser, cold (snapshot built):   ${ms(t)}  found the oldest failed job: ${page.jobs.some((j) => j.id === "needle-oldest")}`);
t = performance.now();
page = await src.list({ state: "done", limit: 50, cursor: "5000" });
console.log(`  job browser, warm (page 101 of done): ${ms(t)}  ${page.jobs.length} rows; done ${page.counts.done}, dead ${page.counts.dead}`);
t = performance.now();
const old = await listJobs(nc as never, { state: "dead", limit: 50 });
console.log(`  listJobs(dead, 50) (docctl jobs):      ${ms(t)}  found the oldest failed job: ${old.some((j) => j.id === "needle-oldest")}`);

// 24 h of history: one queue sample per handler per minute, one work sample per writer
await ensureHistoryStream(jsm);
const start = Math.floor((now - 24 * 3_600_000) / 60_000) * 60_000;
t = performance.now();
let n = 0;
for (let m = start; m < now; m += 60_000) {
  for (let h = 0; h < H; h++) {
    const handler = `h${h}`;
    pending.push(js.publish(historySubject("q", handler), JSON.stringify({ v: 1, t: m, handler, lag: h, pending: h, ack_pending: 0, oldest_age_s: 1, delivered: m / 60_000 }), { msgID: `q.${m}.${handler}` }));
    n++;
    for (let w = 0; w < W; w++) {
      pending.push(js.publish(historySubject("w", handler), JSON.stringify({ v: 1, t: m, handler, writer: `w${w}`, done: 10, failed: 1, codes: { BOOM: 1 }, wait_ms: 500, waits: 10 }), { msgID: `w.${m}.${handler}.w${w}` }));
      n++;
    }
    await flush();
  }
}
await flush(true);
console.log(`  history: ${n} samples published in ${((performance.now() - t) / 1000).toFixed(1)} s (${((await jsm.streams.info("DOCCTL_HISTORY")).state.bytes / 2 ** 20).toFixed(1)} MiB)`);
const reader = new HistoryReader(() => nc as never);
t = performance.now();
const series = await reader.read();
console.log(`  history read, cold (page opened):     ${ms(t)}  ${Object.keys(series).length} handlers x ${series.h0?.length} points`);
t = performance.now();
await reader.read();
console.log(`  history read, warm (a poll):          ${ms(t)}`);
await nc.close();
await nats.cleanup();
