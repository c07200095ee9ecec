// Crash-to-replacement-ready: SIGKILL a proc 20 times and time each kill to the new child's ready message.
// Usage: bun bench/restart.ts [--bin dist/docctl] [--kills 20]
// Without --bin it runs the procs from source (bun cmd/docctl.ts).
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Supervisor } from "../core/runtime/supervisor/supervisor.ts";
import { procPolicyDefaults } from "../core/runtime/supervisor/proc-state.ts";
import { createLogger } from "../core/runtime/util/log.ts";
import { startNatsServer } from "../test/helpers/nats.ts";

const { values } = parseArgs({ options: { bin: { type: "string" }, kills: { type: "string" } } });
const kills = Number(values.kills ?? 20);
const root = join(import.meta.dir, "..");
const program = values.bin ? [values.bin] : [process.execPath, join(root, "cmd/docctl.ts")];
if (values.bin && !existsSync(values.bin)) throw new Error(`${values.bin} does not exist: run \`bun run build\` first`);

const nats = await startNatsServer();
// errors and warnings on stderr, nothing else
const quiet = createLogger({ verbosity: 0 });
// Each kill below comes after a stable run (policy.stableMs), so every restart is a "first crash":
// the number measured is what one crash of a healthy proc costs, backoff step 0 included.
const policy = { ...procPolicyDefaults, stableMs: 1000, startWindowMs: 500 };
const sup = new Supervisor({
  procs: 1,
  command: (slot) => [...program, "worker", "--child", "--nats", nats.url, "--name", `bench-${slot.name}`, "--concurrency", "1"],
  policy,
  forwardOutput: false,
  log: quiet,
});
sup.start();
const running = () => sup.status().procs[0]!.state === "RUNNING";
if (!(await sup.waitFor(running, 30_000))) throw new Error("the proc did not get ready within 30s");

const samples: number[] = [];
for (let i = 0; i < kills; i++) {
  await Bun.sleep(policy.stableMs + 200);
  const pid = sup.status().procs[0]!.pid!;
  const t0 = performance.now();
  process.kill(pid, "SIGKILL");
  const ok = await sup.waitFor(() => { const p = sup.status().procs[0]!; return p.state === "RUNNING" && p.pid !== pid; }, 30_000);
  if (!ok) throw new Error(`kill ${i + 1}: no replacement within 30s`);
  samples.push(performance.now() - t0);
  process.stdout.write(".");
}
process.stdout.write("\n");
await sup.drain();
await nats.cleanup();

samples.sort((a, b) => a - b);
const median = (samples[Math.floor((samples.length - 1) / 2)]! + samples[Math.ceil((samples.length - 1) / 2)]!) / 2;
const max = samples[samples.length - 1]!;
const min = samples[0]!;
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
console.log(`procs from: ${program.join(" ")}`);
console.log(`crash-to-replacement-ready over ${kills} SIGKILLs: median ${fmt(median)}, min ${fmt(min)}, max ${fmt(max)}`);
console.log(`  (includes the first backoff step, ${policy.backoff.initialMs} ms ±${policy.backoff.jitter * 100}%, then spawn, NATS connect, registry, consumers)`);
console.log(`supervisord (seed 001, defaults): a process only counts as started after startsecs = 1 s, so a`);
console.log(`  replacement is "RUNNING" no sooner than ~1000 ms after the crash; after startretries = 3 fast`);
console.log(`  failures it gives up (FATAL). docctl: ready is the proc's own message, FATAL after --max-fast-restarts (3).`);
