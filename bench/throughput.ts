// Echo jobs end to end through docctl (compiled worker + submitBatch) beside a raw JetStream loop, same server.
// Run: node_modules/.bin/bun bench/throughput.ts [jobs=5000] [concurrency=64] [rounds=3]
import { join } from "node:path";
import { AckPolicy, RetentionPolicy, jetstream, jetstreamManager, DeliverPolicy } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../test/helpers/nats.ts";
import { submitBatch } from "../core/runtime/submit.ts";
import { ROOT, BIN } from "../test/helpers/cli.ts";
import { cpus } from "node:os";

const N = Number(process.argv[2] ?? 5000);
const C = Number(process.argv[3] ?? 64);
const ROUNDS = Number(process.argv[4] ?? 3);

const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });

async function docctlRun(): Promise<number> {
  const w = Bun.spawn([BIN, "worker", "--procs", "1", "--nats", nats.url, "--handlers", "echo", "--concurrency", String(C), "-v"], { stderr: "pipe", stdout: "ignore" });
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of w.stderr) {
    buf += dec.decode(chunk);
    if (buf.includes("pulling")) break;
  }
  const t0 = performance.now();
  const out = await submitBatch(nc, "echo", Array.from({ length: N }, (_, i) => ({ i })), { timeoutMs: 300_000 });
  const t = performance.now() - t0;
  if (out.results.some((r) => !r?.ok)) throw new Error("docctl: some echo jobs failed");
  w.kill("SIGTERM");
  await w.exited;
  return (N / t) * 1000;
}

async function rawRun(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  for (const s of ["RAW_TASKS", "RAW_RESULTS"]) await jsm.streams.delete(s).catch(() => {});
  await jsm.streams.add({ name: "RAW_TASKS", subjects: ["raw.tasks.>"], retention: RetentionPolicy.Workqueue });
  await jsm.streams.add({ name: "RAW_RESULTS", subjects: ["raw.results.>"] });
  await jsm.consumers.add("RAW_TASKS", { durable_name: "raw", ack_policy: AckPolicy.Explicit, max_ack_pending: 100_000 });
  const w = Bun.spawn([process.execPath, join(ROOT, "bench/raw-worker.ts"), nats.url, String(C)], { stdout: "pipe", stderr: "inherit" });
  const reader = w.stdout.getReader();
  await reader.read(); // "ready"
  const js = jetstream(nc);
  const results = await js.consumers.get("RAW_RESULTS", { filter_subjects: "raw.results.>", deliver_policy: DeliverPolicy.All });
  const iter = await results.consume();
  const t0 = performance.now();
  let got = 0;
  const done = (async () => {
    for await (const _ of iter) if (++got === N) break;
  })();
  let next = 0;
  const { encode } = await import("@msgpack/msgpack");
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < N) {
        const i = next++;
        await js.publish(`raw.tasks.${i}`, encode({ i }), { msgID: `raw-${i}` });
      }
    }),
  );
  await done;
  const t = performance.now() - t0;
  w.kill("SIGKILL");
  await w.exited;
  return (N / t) * 1000;
}

console.log(`throughput: ${N} echo jobs, concurrency ${C}, ${ROUNDS} rounds each, ${cpus().length} cores (${cpus()[0]?.model})`);
const d: number[] = [];
const r: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  r.push(await rawRun());
  d.push(await docctlRun());
  console.log(`  round ${i + 1}: raw ${r.at(-1)!.toFixed(0)} jobs/s, docctl ${d.at(-1)!.toFixed(0)} jobs/s`);
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`median: raw loop ${med(r).toFixed(0)} jobs/s | docctl ${med(d).toFixed(0)} jobs/s | ratio docctl/raw ${(med(d) / med(r)).toFixed(2)}x (target >= 0.5x)`);
await nc.close();
await nats.cleanup();
