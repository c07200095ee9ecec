// One BullMQ round for bench/peers.ts, on Node: starts a Worker process (bench/bullmq-worker.mjs),
// adds `n` no-op jobs with addBulk (1 000 per call), counts completions with QueueEvents and prints
// `rate <jobs/s>` (from the first add to the last completion).
//   node bench/bullmq-run.mjs <redis port> <queue> <jobs> <concurrency>
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Queue, QueueEvents } from "bullmq";

const [port, name, n, c] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const connection = { host: "127.0.0.1", port };
const queue = new Queue(name, { connection });
const events = new QueueEvents(name, { connection });
await events.waitUntilReady();
const w = spawn(process.execPath, [fileURLToPath(new URL("./bullmq-worker.mjs", import.meta.url)), String(port), name, String(c)], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((res, rej) => {
  let buf = "";
  w.stdout.on("data", (d) => ((buf += d), buf.includes("ready") && res()));
  w.on("exit", (code) => rej(new Error(`bullmq worker exited ${code} before it was ready`)));
});
let done = 0;
const all = new Promise((res, rej) => {
  events.on("completed", () => ++done === n && res());
  events.on("failed", ({ failedReason }) => rej(new Error(`bullmq: a job failed: ${failedReason}`)));
});
const t0 = performance.now();
for (let i = 0; i < n; i += 1000) {
  await queue.addBulk(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ name: "echo", data: { i: i + k }, opts: { jobId: `${name}-${i + k}` } })));
}
await all;
const t = performance.now() - t0;
process.stdout.write(`rate ${((n / t) * 1000).toFixed(1)}\n`);
w.kill("SIGTERM");
await new Promise((r) => w.on("exit", r));
await events.close();
await queue.obliterate({ force: true });
await queue.close();
process.exit(0);
