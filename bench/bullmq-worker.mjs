// The BullMQ side of bench/peers.ts, on Node (BullMQ's home runtime): one Worker process with the
// given concurrency and a no-op processor. Started by bench/bullmq-run.mjs:
//   node bench/bullmq-worker.mjs <redis port> <queue> <concurrency>
import { Worker } from "bullmq";

const [port, queue, conc] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4] ?? 1)];
const worker = new Worker(queue, async (job) => job.data, { connection: { host: "127.0.0.1", port }, concurrency: conc });
await worker.waitUntilReady();
process.stdout.write("ready\n");
process.on("SIGTERM", async () => {
  await worker.close();
  process.exit(0);
});
