// Soak: steady load for minutes while worker procs are recycled (SIGTERM, drain) and killed (SIGKILL);
// samples the RSS of every proc, the nats-server and the submitter, and checks it stays flat after warm-up.
// Proc slot 0 is never recycled: its RSS over the whole run is the leak check for a long-lived proc.
// Run: node_modules/.bin/bun bench/soak.ts [minutes=3] [jobs/s=300] [procs=3] [concurrency=8]
import { readFileSync } from "node:fs";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../core/runtime/connection.ts";
import { STREAM_RESULTS } from "../core/runtime/subjects.ts";
import { submitBatch } from "../core/runtime/submit.ts";
import { startNatsServer } from "../test/helpers/nats.ts";
import { tempDir } from "../test/helpers/tmp.ts";
import { WorkerPool, tickPlugin } from "../test/faults/harness.ts";

const MINUTES = Number(process.argv[2] ?? 3);
const RATE = Number(process.argv[3] ?? 300);
const PROCS = Number(process.argv[4] ?? 3);
const CONC = Number(process.argv[5] ?? 8);
const SAMPLE_MS = 10_000;
const WARMUP_MS = 30_000;

/** Resident set size of `pid` in MiB (VmRSS from /proc), undefined when it has gone. */
function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const nats = await startNatsServer();
const dir = tempDir("docctl-soak-");
const { plugins, log } = tickPlugin(dir.path);
const pool = new WorkerPool(
  () => ["worker", "--plugins", plugins, "--handlers", "tick", "--concurrency", String(CONC), "--ack-wait", "2s", "--max-attempts", "20", "-v"],
  { DOCCTL_NATS_URL: nats.url, FAULT_LOG: "/dev/null" },
);
await pool.start(PROCS);
const nc = await connectNats({ url: nats.url, reconnectForever: true });

const t0 = Date.now();
const end = t0 + MINUTES * 60_000;
let jobs = 0;
let batches = 0;
let problems = 0;
const rows: { t: number; procs: (number | undefined)[]; nats?: number; submitter?: number; jobs: number }[] = [];

// Steady load: one batch of RATE jobs per second, each sleeping 1-5 ms; every id must come back once, ok.
const load = (async () => {
  while (Date.now() < end) {
    const started = Date.now();
    const out = await submitBatch(nc, "tick", Array.from({ length: RATE }, (_, i) => ({ ms: 1 + (i % 5) })), { timeoutMs: 60_000 });
    const bad = out.results.filter((r) => !r?.ok).length;
    if (bad) {
      problems += bad;
      console.error(`batch ${out.batch}: ${bad} of ${RATE} without an ok result`);
    }
    jobs += RATE;
    batches++;
    await Bun.sleep(Math.max(0, 1000 - (Date.now() - started)));
  }
})();

// Churn: every 15 s recycle a proc (SIGTERM: drain and exit), every 20 s SIGKILL one; never slot 0.
const churn = (async () => {
  let n = 0;
  while (Date.now() < end - 5_000) {
    await Bun.sleep(5_000);
    n++;
    const slot = 1 + (n % Math.max(1, PROCS - 1));
    if (PROCS < 2) continue;
    if (n % 3 === 0) {
      await pool.recycle(slot);
    } else if (n % 4 === 0) {
      await pool.killAndReplace(slot);
    }
  }
})();

// Sampling
const sampler = (async () => {
  while (Date.now() < end) {
    rows.push({
      t: Math.round((Date.now() - t0) / 1000),
      procs: pool.procs.map((b) => rssMiB(b.proc.pid)),
      nats: rssMiB(nats.proc.pid),
      submitter: rssMiB(process.pid),
      jobs,
    });
    await Bun.sleep(SAMPLE_MS);
  }
})();

await Promise.all([load, churn, sampler]);
rows.push({ t: Math.round((Date.now() - t0) / 1000), procs: pool.procs.map((b) => rssMiB(b.proc.pid)), nats: rssMiB(nats.proc.pid), submitter: rssMiB(process.pid), jobs });
const resultsState = (await (await jetstreamManager(nc)).streams.info(STREAM_RESULTS)).state;
await nc.close();
await pool.stopAll();
await nats.cleanup();
dir.cleanup();

const f = (v?: number) => (v === undefined ? "-" : v.toFixed(1));
console.log(`soak: ${MINUTES} min, ${RATE} jobs/s offered, ${PROCS} procs x concurrency ${CONC}; ${jobs} jobs in ${batches} batches, ${problems} without an ok result; ` +
  `${pool.recycles} procs recycled (SIGTERM), ${pool.kills} SIGKILLed`);
console.log(`\nRSS in MiB (slot 0 lives the whole run; slots 1+ are recycled and killed, so their column is whichever proc holds the slot)`);
console.log(`| t (s) | jobs | ${pool.procs.map((_, i) => `proc slot ${i}`).join(" | ")} | nats-server | submitter |`);
console.log(`|---:|---:|${pool.procs.map(() => "---:").join("|")}|---:|---:|`);
for (const r of rows) console.log(`| ${r.t} | ${r.jobs} | ${r.procs.map(f).join(" | ")} | ${f(r.nats)} | ${f(r.submitter)} |`);

// Flat after warm-up: RSS of a garbage-collected process saws up and down, so compare the lower
// envelope (the minimum: live memory after a collection) of the first and last third after warm-up.
const after = rows.filter((r) => r.t * 1000 >= WARMUP_MS);
if (after.length >= 6) {
  const third = Math.floor(after.length / 3);
  const [early, late] = [after.slice(0, third), after.slice(-third)];
  const verdict = (name: string, pick: (r: (typeof rows)[number]) => number | undefined, limit: number | undefined = 1.15) => {
    const lo = (rs: typeof rows) => Math.min(...rs.map((r) => pick(r) ?? Infinity));
    const hi = Math.max(...after.map((r) => pick(r) ?? 0));
    const [a, b] = [lo(early), lo(late)];
    const flat = limit === undefined || b <= a * limit;
    const judged = limit === undefined ? "not judged" : flat ? "flat" : "GROWING";
    console.log(`${name}: lowest RSS ${f(a)} MiB early, ${f(b)} MiB late (${(((b - a) / a) * 100).toFixed(1)}%), highest ${f(hi)} MiB: ${judged}`);
    return flat;
  };
  console.log(`
after ${WARMUP_MS / 1000} s warm-up (first third vs last third of the samples):`);
  const okProc = verdict("proc slot 0 (never recycled)", (r) => r.procs[0]);
  verdict("submitter", (r) => r.submitter);
  verdict("nats-server (grows with the results it keeps: 24 h retention)", (r) => r.nats, undefined);
  console.log(`results stream at the end: ${resultsState.messages} results, ${(resultsState.bytes / 2 ** 20).toFixed(1)} MiB`);
  if (!okProc || problems) process.exitCode = 1;
}
