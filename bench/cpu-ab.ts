// CPU time per job of two (or more) docctl binaries on the same echo batch through the CLI, runs
// alternating: `docctl worker --procs 1 --concurrency C` + `docctl submit FILE --json`. Prints jobs/s
// and the CPU each side used per job: submit and worker from getrusage (the worker's includes its
// procs), nats-server from /proc/<pid>/stat. On a shared machine, CPU per job moves far less than
// jobs/s, so it is what a change is judged by.
//   node_modules/.bin/bun bench/cpu-ab.ts OLD_BIN,NEW_BIN [jobs=10000] [concurrency=64] [rounds=3]
import { startNatsServer } from "../test/helpers/nats.ts";
import { waitLine } from "./echo-runs.ts";

const bins = (process.argv[2] ?? "dist/docctl").split(",");
const [n, conc, rounds] = [Number(process.argv[3] ?? 10000), process.argv[4] ?? "64", Number(process.argv[5] ?? 3)];
const nats = await startNatsServer();
const serverTicks = async () => {
  const f = (await Bun.file(`/proc/${nats.proc.pid}/stat`).text()).split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100 per second)
};
const cpuUs = (ru: { cpuTime: { user: number | bigint; system: number | bigint } }) => Number(ru.cpuTime.user) + Number(ru.cpuTime.system);
const res = new Map<string, number[]>();
const add = (k: string, v: number) => res.set(k, [...(res.get(k) ?? []), v]);
let k = 0;
try {
  for (let r = 0; r < rounds; r++) {
    for (const bin of bins) {
      const w = Bun.spawn([bin, "worker", "--procs", "1", "--nats", nats.url, "--handlers", "echo", "--concurrency", conc, "-v"], { stderr: "pipe", stdout: "ignore" });
      await waitLine(w.stderr, /pulling/);
      const file = `/tmp/docctl-cpu-ab-${process.pid}-${k}.json`;
      await Bun.write(file, JSON.stringify({ handler: "echo", id: `ab${process.pid}x${k++}`, batch: Array.from({ length: n }, (_, i) => ({ i })) }));
      const s0 = await serverTicks();
      const t0 = performance.now();
      const s = Bun.spawn([bin, "submit", file, "--nats", nats.url, "--json"], { stdout: "ignore", stderr: "pipe" });
      const [code, err] = await Promise.all([s.exited, new Response(s.stderr).text()]);
      if (code !== 0) throw new Error(`${bin} submit exited ${code}: ${err.slice(-500)}`);
      add(`${bin} jobs/s`, n / ((performance.now() - t0) / 1000));
      add(`${bin} nats-server us/job`, ((await serverTicks()) - s0) * 10_000 / n);
      w.kill("SIGTERM");
      await w.exited;
      add(`${bin} submit us/job`, cpuUs(s.resourceUsage()!) / n);
      add(`${bin} worker us/job`, cpuUs(w.resourceUsage()!) / n);
      await Bun.file(file).delete();
    }
  }
} finally {
  await nats.cleanup();
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`${n} echo jobs, concurrency ${conc}, ${rounds} rounds; median (all runs):`);
for (const [key, v] of res) console.log(`  ${key}: ${med(v).toFixed(0)}  (${v.map((x) => x.toFixed(0)).join(", ")})`);
