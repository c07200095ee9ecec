// Soak: steady load for minutes on a supervisor (`docctl worker --procs N --max-jobs M`) whose procs are
// recycled by --max-jobs and SIGKILLed at random, beside one standalone proc (`--procs 0`) that lives the
// whole run. Samples the RSS of the supervisor, every proc, the long-lived proc, the nats-server and the
// submitter, and checks that the long-lived processes stay flat after warm-up.
// Run: node_modules/.bin/bun bench/soak.ts [minutes=3] [jobs/s=300] [procs=3] [concurrency=8]
import { readdirSync, readFileSync } from "node:fs";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../core/runtime/nats/connection.ts";
import { submitBatch } from "../core/runtime/client/submit.ts";
import { STREAM_RESULTS } from "../core/runtime/protocol/subjects.ts";
import { startNatsServer } from "../test/helpers/nats.ts";
import { spawnDocctl } from "../test/helpers/cli.ts";
import { tempDir } from "../test/helpers/tmp.ts";
import { tickPlugin } from "../test/faults/harness.ts";

const MINUTES = Number(process.argv[2] ?? 3);
const RATE = Number(process.argv[3] ?? 300);
const PROCS = Number(process.argv[4] ?? 3);
const CONC = Number(process.argv[5] ?? 8);
const SAMPLE_MS = 10_000;
const WARMUP_MS = 30_000;
const KILL_EVERY_MS = 20_000;
// each supervised proc gets about RATE/(PROCS+1) jobs/s: recycle one roughly every 30 s
const MAX_JOBS = Math.max(100, Math.round((RATE / (PROCS + 1)) * 30));

/** Resident set size of `pid` in MiB (VmRSS from /proc), undefined when it has gone. */
function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** pids whose parent is `ppid`, from /proc */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) out.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return out.sort((a, b) => a - b);
}

const nats = await startNatsServer();
const dir = tempDir("docctl-soak-");
const { plugins } = tickPlugin(dir.path);
const common = ["--plugins", plugins, "--handlers", "tick", "--concurrency", String(CONC), "--ack-wait", "2s", "--max-attempts", "20"];
const env = { DOCCTL_NATS_URL: nats.url, FAULT_LOG: "/dev/null" };
const sup = spawnDocctl(["worker", "--procs", String(PROCS), "--max-jobs", String(MAX_JOBS), "--start-window", "500ms", ...common, "-vv"], { env });
const single = spawnDocctl(["worker", "--procs", "0", ...common, "-v"], { env });
await sup.waitFor(/up: presence/, 30_000);
await single.waitFor(/pulling/, 30_000);
const nc = await connectNats({ url: nats.url, reconnectForever: true });

const t0 = Date.now();
const end = t0 + MINUTES * 60_000;
let jobs = 0;
let batches = 0;
let problems = 0;
let kills = 0;
const procPids = new Set<number>();
const procPeak = new Map<number, number>();
type Row = { t: number; jobs: number; sup?: number; procs: number[]; single?: number; nats?: number; submitter?: number };
const rows: Row[] = [];

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

// Kills: every KILL_EVERY_MS one of the supervisor's procs is SIGKILLed (the supervisor restarts it).
const killer = (async () => {
  while (Date.now() < end - KILL_EVERY_MS / 2) {
    await Bun.sleep(KILL_EVERY_MS);
    const kids = childrenOf(sup.proc.pid);
    if (!kids.length) continue;
    try {
      process.kill(kids[Math.floor(Math.random() * kids.length)]!, "SIGKILL");
      kills++;
    } catch {
      /* recycled just now */
    }
  }
})();

const sample = (): Row => {
  const kids = childrenOf(sup.proc.pid);
  const procs = kids.map((k) => rssMiB(k) ?? 0);
  kids.forEach((k, i) => {
    procPids.add(k);
    procPeak.set(k, Math.max(procPeak.get(k) ?? 0, procs[i]!));
  });
  return { t: Math.round((Date.now() - t0) / 1000), jobs, sup: rssMiB(sup.proc.pid), procs, single: rssMiB(single.proc.pid), nats: rssMiB(nats.proc.pid), submitter: rssMiB(process.pid) };
};
const sampler = (async () => {
  while (Date.now() < end) {
    rows.push(sample());
    await Bun.sleep(SAMPLE_MS);
  }
})();

await Promise.all([load, killer, sampler]);
rows.push(sample());
const resultsState = (await (await jetstreamManager(nc)).streams.info(STREAM_RESULTS)).state;
const supLog = sup.output();
await nc.close();
const supExit = await sup.stop("SIGTERM");
await single.stop("SIGTERM");
await nats.cleanup();
dir.cleanup();

const f = (v?: number) => (v === undefined ? "-" : v.toFixed(1));
const recycled = (supLog.match(/recycling:/g) ?? []).length;
const fatal = (supLog.match(/FATAL/g) ?? []).length;
console.log(
  `soak: ${MINUTES} min, ${RATE} jobs/s offered; supervisor --procs ${PROCS} --max-jobs ${MAX_JOBS} + 1 standalone proc, concurrency ${CONC}; ` +
    `${jobs} jobs in ${batches} batches, ${problems} without an ok result; ${recycled} procs recycled, ${kills} SIGKILLed, ` +
    `${procPids.size} distinct procs seen, ${fatal} FATAL; supervisor exit code ${supExit} after SIGTERM`,
);
console.log(`\nRSS in MiB ("procs": the supervisor's procs at that moment, each recycled or killed within ~30 s)`);
console.log(`| t (s) | jobs | supervisor | procs | standalone proc | nats-server | submitter |`);
console.log(`|---:|---:|---:|---|---:|---:|---:|`);
for (const r of rows) console.log(`| ${r.t} | ${r.jobs} | ${f(r.sup)} | ${r.procs.map(f).join(", ")} | ${f(r.single)} | ${f(r.nats)} | ${f(r.submitter)} |`);
const peaks = [...procPeak.values()];
console.log(`\nsupervised procs: highest RSS seen ${f(Math.max(...peaks))} MiB, lowest peak ${f(Math.min(...peaks))} MiB over ${peaks.length} procs`);

// Flat after warm-up: RSS of a garbage-collected process saws up and down, so compare the lower
// envelope (the minimum: live memory after a collection) of the first and last third after warm-up.
const after = rows.filter((r) => r.t * 1000 >= WARMUP_MS);
if (after.length >= 6) {
  const third = Math.floor(after.length / 3);
  const [early, late] = [after.slice(0, third), after.slice(-third)];
  // limit null: print, do not judge
  const verdict = (name: string, pick: (r: Row) => number | undefined, limit: number | null = 1.15) => {
    const lo = (rs: Row[]) => Math.min(...rs.map((r) => pick(r) ?? Infinity));
    const hi = Math.max(...after.map((r) => pick(r) ?? 0));
    const [a, b] = [lo(early), lo(late)];
    const flat = limit === null || b <= a * limit;
    const judged = limit === null ? "not judged" : flat ? "flat" : "GROWING";
    console.log(`${name}: lowest RSS ${f(a)} MiB early, ${f(b)} MiB late (${(((b - a) / a) * 100).toFixed(1)}%), highest ${f(hi)} MiB: ${judged}`);
    return flat;
  };
  console.log(`\nafter ${WARMUP_MS / 1000} s warm-up (first third vs last third of the samples):`);
  const ok = [
    verdict("standalone proc (never recycled)", (r) => r.single),
    verdict("supervisor (never restarted)", (r) => r.sup),
    verdict("submitter", (r) => r.submitter),
  ].every(Boolean);
  verdict("nats-server (grows with the results it keeps: 24 h retention)", (r) => r.nats, null);
  console.log(`results stream at the end: ${resultsState.messages} results, ${(resultsState.bytes / 2 ** 20).toFixed(1)} MiB`);
  if (!ok || problems || fatal) process.exitCode = 1;
}
