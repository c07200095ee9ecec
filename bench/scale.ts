// Batch size against speed and memory, through what a user runs: a batch file of N echo jobs,
// `docctl submit FILE --json` (stdout to /dev/null) against a compiled `docctl worker --procs P`.
// Prints jobs/s (submit start to exit, so reading the file counts) and the submitter's peak RSS
// (getrusage ru_maxrss of the finished process) for each size, in one run.
//
//   node_modules/.bin/bun bench/scale.ts [--sizes 20000,200000,1000000] [--procs 1] [--concurrency 64]
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "../test/helpers/nats.ts";
import { BIN } from "../test/helpers/cli.ts";
import { waitLine } from "./echo-runs.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "20000,200000,1000000" },
    procs: { type: "string", default: "1" },
    concurrency: { type: "string", default: "64" },
  },
});
const SIZES = values.sizes!.split(",").map(Number);
const PROCS = Number(values.procs);
const CONC = Number(values.concurrency);

/** Writes `{"handler":"echo","batch":[{"i":0},...]}` with `n` payloads, in chunks (the bench must not hold it either). */
async function batchFile(dir: string, n: number): Promise<string> {
  const path = join(dir, `batch-${n}.json`);
  const w = Bun.file(path).writer();
  w.write(`{"handler":"echo","id":"scale${n}","batch":[\n`);
  for (let i = 0; i < n; i++) w.write(`{"i":${i}}${i + 1 < n ? ",\n" : "\n"}`);
  w.write("]}\n");
  await w.end();
  return path;
}

export interface ScaleRun {
  n: number;
  seconds: number;
  jobsPerSec: number;
  peakRssMb: number;
  fileMb: number;
}

/** One batch of `n` through `docctl submit` against a fresh worker and nats-server. */
async function run(dir: string, n: number): Promise<ScaleRun> {
  const file = await batchFile(dir, n);
  const nats = await startNatsServer();
  const w = Bun.spawn([BIN, "worker", "--procs", String(PROCS), "--nats", nats.url, "--handlers", "echo", "--concurrency", String(CONC), "-v"], { stderr: "pipe", stdout: "ignore" });
  try {
    await waitLine(w.stderr, /pulling/);
    const t0 = performance.now();
    const s = Bun.spawn([BIN, "submit", file, "--json", "--nats", nats.url, "--timeout", "2h"], { stdout: "ignore", stderr: "pipe" });
    const [code, err] = await Promise.all([s.exited, new Response(s.stderr).text()]);
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`docctl submit of ${n} jobs exited ${code}: ${err.slice(-2000)}`);
    const ru = s.resourceUsage();
    // Bun reports ru_maxrss in bytes.
    const peakRssMb = Number(ru?.maxRSS ?? 0) / 2 ** 20;
    return { n, seconds, jobsPerSec: n / seconds, peakRssMb, fileMb: statSync(file).size / 2 ** 20 };
  } finally {
    w.kill("SIGTERM");
    await w.exited;
    await nats.cleanup();
    rmSync(file, { force: true });
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "docctl-scale-"));
  const cpu = cpus();
  console.log(`scale: echo batches of ${SIZES.join(" / ")} jobs, \`docctl submit FILE --json\` against \`docctl worker --procs ${PROCS} --concurrency ${CONC}\`; ${cpu.length} cores (${cpu[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  const rows: ScaleRun[] = [];
  try {
    for (const n of SIZES) {
      const r = await run(dir, n);
      rows.push(r);
      console.log(`  ${n} jobs: ${r.seconds.toFixed(1)} s, ${r.jobsPerSec.toFixed(0)} jobs/s, submit peak RSS ${r.peakRssMb.toFixed(0)} MB (file ${r.fileMb.toFixed(1)} MB)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const first = rows[0]!;
  console.log(`\n| jobs | seconds | jobs/s | vs ${first.n} | submit peak RSS |`);
  console.log(`|---:|---:|---:|---:|---:|`);
  for (const r of rows) console.log(`| ${r.n} | ${r.seconds.toFixed(1)} | ${r.jobsPerSec.toFixed(0)} | ${(r.jobsPerSec / first.jobsPerSec).toFixed(2)}x | ${r.peakRssMb.toFixed(0)} MB |`);
  const worst = Math.max(...rows.map((r) => r.peakRssMb));
  const flat = Math.min(...rows.map((r) => r.jobsPerSec / first.jobsPerSec));
  console.log(`targets: submit peak RSS under 300 MB (${worst < 300 ? "met" : "MISSED"}: ${worst.toFixed(0)} MB); jobs/s flat (slowest size at ${flat.toFixed(2)}x of the ${first.n} rate)`);
}

if (import.meta.main) await main();
