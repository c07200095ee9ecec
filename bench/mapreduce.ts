// The seed's map-reduce demo done with docctl: 40 URLs, each answered after 1 s by a local server.
// Runs 1 proc × concurrency 1, 4 procs × concurrency 1, and 1 proc × concurrency 40; prints wall time,
// speed-up and parallel efficiency beside the PHP Worker-machine's 10 URLs: 10 s → 3.7 s with 4 workers.
// Run: node_modules/.bin/bun bench/mapreduce.ts [urls=40] [delayMs=1000]
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../test/helpers/nats.ts";
import { BIN } from "../test/helpers/cli.ts";
import { submitBatch } from "../core/runtime/client/submit.ts";
import { startSites } from "../examples/sites.ts";

const URLS = Number(process.argv[2] ?? 40);
const DELAY = Number(process.argv[3] ?? 1000);

const nats = await startNatsServer();
const sites = startSites({ port: 0, delayMs: DELAY });
const nc = await connect({ servers: nats.url });
const payloads = Array.from({ length: URLS }, (_, i) => ({ url: `${sites.url}/slashdot?i=${i}` }));

async function run(procs: number, concurrency: number): Promise<number> {
  const args = ["worker", "--nats", nats.url, "--handlers", "title", "--allow-private-fetch", "--concurrency", String(concurrency), "-v"];
  const workers = await startWorkers(procs, args);
  const t0 = performance.now();
  const out = await submitBatch(nc, "title", payloads, { timeoutMs: 10 * 60_000 });
  const secs = (performance.now() - t0) / 1000;
  const bad = out.results.filter((r) => !r?.ok);
  if (bad.length) throw new Error(`${bad.length} fetches failed: ${JSON.stringify(bad[0])}`);
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => w.exited));
  return secs;
}

// One `docctl worker --procs N`: the supervisor starts N procs; ready once every proc logged "pulling".
async function startWorkers(n: number, args: string[]) {
  const w = Bun.spawn([BIN, ...args, "--procs", String(n)], { stderr: "pipe", stdout: "ignore" });
  const dec = new TextDecoder();
  let buf = "";
  for await (const c of w.stderr) if ((buf += dec.decode(c)).split("pulling").length - 1 >= n) break;
  return [w];
}

console.log(`mapreduce: ${URLS} URLs, each answered after ${DELAY} ms by a server on 127.0.0.1`);
const t1 = await run(1, 1);
console.log(`  1 proc,  concurrency 1:  ${t1.toFixed(2)} s`);
const t4 = await run(4, 1);
console.log(`  4 procs, concurrency 1:  ${t4.toFixed(2)} s   speed-up ${(t1 / t4).toFixed(2)}x, efficiency ${((t1 / t4 / 4) * 100).toFixed(1)} %`);
const tc = await run(1, URLS);
console.log(`  1 proc,  concurrency ${URLS}: ${tc.toFixed(2)} s   speed-up ${(t1 / tc).toFixed(2)}x, efficiency ${((t1 / tc / URLS) * 100).toFixed(1)} %`);
console.log(`  seed (PHP Worker-machine, 10 URLs): 1 worker 10 s, 4 workers 3.7 s: speed-up 2.70x, efficiency 67.6 %`);
await nc.close();
await sites.stop();
await nats.cleanup();
