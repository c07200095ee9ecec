// The BullMQ side of bench/peers.ts: one process, one Worker with the given concurrency, a no-op processor.
// Run by bench/peers.ts: bun bench/bullmq-worker.ts <redis port> <queue> <concurrency>
import { Worker } from "bullmq";

const [port, queue, conc] = [Number(process.argv[2]), process.argv[3]!, Number(process.argv[4] ?? 1)];
const worker = new Worker(queue, async (job) => job.data, {
  connection: { host: "127.0.0.1", port },
  concurrency: conc,
});
await worker.waitUntilReady();
process.stdout.write("ready\n");
process.on("SIGTERM", async () => {
  await worker.close();
  process.exit(0);
});
