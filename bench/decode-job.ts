// decodeJob, the check every job passes on the worker's hot path, against a bare msgpack decode of the
// same bytes (the floor: no check at all), in the same run. Prints decodes per second of each and the ratio.
//   node_modules/.bin/bun bench/decode-job.ts [decodes per round, default 200000] [rounds, default 5]
import { Decoder } from "@msgpack/msgpack";
import { decodeJob, encodeJob, type JobV1 } from "../core/runtime/protocol/codec.ts";

const n = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
// A typical job: a render job with a small payload, a retry count and a time limit.
const typical: JobV1 = {
  v: 1,
  id: "b3f1c2d4e5f60718293a-17",
  batch: "b3f1c2d4e5f60718293a",
  handler: "pdf",
  payload: { template: "invoice", data: { number: "2026-0017", customer: { name: "Ada Lovelace", city: "London" }, items: [{ sku: "A1", qty: 2, price: 9.5 }, { sku: "B7", qty: 1, price: 120 }] } },
  submitted_at: 1_796_000_000_000,
  attempts: 3,
  timeout_ms: 60_000,
  hash: "0123456789abcdef0123456789abcdef",
};
// A chain job: the optional job-control fields the schema checks too.
const chain: JobV1 = { ...typical, priority: "high", backoff: { type: "exponential", delay_ms: 1000, factor: 2 }, next: [{ id: "c-1", handler: "mail", delay_ms: 500 }, { id: "c-2", handler: "archive" }] };

function rate(bytes: Uint8Array, f: (b: Uint8Array) => unknown): number {
  for (let i = 0; i < 20_000; i++) f(bytes); // warm up the JIT
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f(bytes);
  return n / ((performance.now() - t0) / 1000);
}
const bare = new Decoder();
for (const [name, job] of [["typical", typical], ["chain", chain]] as const) {
  const bytes = encodeJob(job);
  if (!decodeJob(bytes).ok) throw new Error(`the ${name} job does not decode: ${JSON.stringify(decodeJob(bytes))}`);
  const dj: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < rounds; r++) {
    raw.push(rate(bytes, (b) => bare.decode(b)));
    dj.push(rate(bytes, decodeJob));
  }
  const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1]!;
  const [d, m] = [med(dj), med(raw)];
  console.log(`${name} job (${bytes.byteLength} bytes): decodeJob ${Math.round(d).toLocaleString("en")}/s, bare msgpack decode ${Math.round(m).toLocaleString("en")}/s, ratio ${(d / m).toFixed(2)} (median of ${rounds} rounds of ${n})`);
}
