// Shared pieces of the fault tests: a job that leaves a trace, a pool of worker procs to kill, and the
// check that every job has exactly one result, none missing, and that the submitter saw each id once.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { spawnDocctl, eventually, type Background } from "../helpers/cli.ts";
import { submitBatch, type SubmitOutcome } from "../../core/runtime/client/submit.ts";
import { STREAM_DEAD, STREAM_RESULTS, STREAM_TASKS } from "../../core/runtime/protocol/subjects.ts";
import type { TopologyOptions } from "../../core/runtime/nats/topology.ts";

/** The job every fault test runs: sleep `ms`, write "<id> <attempt> <pid>" to $FAULT_LOG, return the id. */
const TICK = `import { appendFileSync } from "node:fs";
export default {
  async handle(p: { ms: number }, ctx: any) {
    appendFileSync(process.env.FAULT_LOG!, ctx.id + " " + ctx.attempt + " " + process.pid + "\\n");
    await new Promise((r) => setTimeout(r, p.ms));
    return { id: ctx.id };
  },
};
`;

/** A plugins dir holding the `tick` handler, and the file its invocations are logged to. */
export function tickPlugin(dir: string): { plugins: string; log: string } {
  const plugins = join(dir, "plugins");
  mkdirSync(plugins, { recursive: true });
  writeFileSync(join(plugins, "tick.ts"), TICK);
  const log = join(dir, "invocations.log");
  writeFileSync(log, "");
  return { plugins, log };
}

/** A small seeded PRNG (mulberry32) so a failing chaos run can be replayed with FAULT_SEED. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);

/** Several single-proc `docctl worker --procs 0` processes; any can be SIGKILLed (supervisor-kill.test.ts covers `--procs N`). */
export class WorkerPool {
  procs: Background[] = [];
  private all: Background[] = [];
  kills = 0;
  recycles = 0;

  constructor(
    private argsFor: (i: number) => string[],
    private env: Record<string, string>,
  ) {}

  /** Start `n` procs and wait until each pulls. */
  async start(n: number): Promise<void> {
    await Promise.all(Array.from({ length: n }, (_, i) => this.spawn(i)));
  }

  private async spawn(i: number): Promise<Background> {
    // One proc per process (`--procs 0`: no supervisor), so that a SIGKILL here is the death of one proc.
    const args = this.argsFor(i);
    if (!args.includes("--procs")) args.splice(1, 0, "--procs", "0");
    const b = spawnDocctl(args, { env: this.env });
    this.all.push(b);
    this.procs[i] = b;
    await b.waitFor(/pulling/, 30_000);
    return b;
  }

  /** SIGKILL proc `i` (mid-job, no drain) and start a replacement in its place. */
  async killAndReplace(i: number): Promise<void> {
    const victim = this.procs[i]!;
    victim.proc.kill("SIGKILL");
    await victim.proc.exited;
    this.kills++;
    await this.spawn(i);
  }

  /** SIGTERM proc `i` (it drains: finishes its jobs, exits) and start a replacement: a recycle. */
  async recycle(i: number): Promise<void> {
    await this.procs[i]!.stop("SIGTERM");
    this.recycles++;
    await this.spawn(i);
  }

  /** Stop every proc this pool ever started (SIGTERM, then SIGKILL). */
  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((b) => b.stop().catch(() => 0)));
  }

  /** stderr of every proc, for a failure message */
  outputs(): string {
    return this.all.map((b, i) => `--- proc ${i} (pid ${b.proc.pid}) ---\n${b.output().slice(-3000)}`).join("\n");
  }
}

export interface FaultFigures {
  scenario: string;
  jobs: number;
  seconds: number;
  /** handler invocations (from the invocation log) */
  invocations: number;
  /** jobs whose handler ran more than once */
  rerunJobs: number;
  /** results the submitter saw with attempts > 1 */
  redeliveredResults: number;
  /** results written to the results stream (a job run to the end twice writes twice; the stream keeps one) */
  resultWrites: number;
  /** results delivered to the submitter's onResult: must equal jobs */
  seenBySubmitter: number;
  /** acked jobs the work-queue stream still held afterwards (server defect, see guarantees.md) */
  orphans: number;
  faults: string;
}

/**
 * Submit `n` tick jobs as one batch with submitBatch while `chaos` runs, then check the outcome:
 * one ok result per id, none missing, each id seen once by the submitter, nothing left queued or dead.
 * Returns the figures (also printed). Throws with a clear message when an invariant does not hold.
 */
export async function runFaultBatch(o: {
  scenario: string;
  nc: NatsConnection;
  n: number;
  logFile: string;
  /** started when the first result arrives; resolve when the faults are over. `done()` says the batch is complete. */
  chaos(done: () => boolean): Promise<string>;
  jobMs?: () => number;
  topology?: Partial<TopologyOptions>;
  timeoutMs?: number;
  /** tolerate acked jobs the task stream still holds (a nats-server 2.9 defect after SIGKILL); counted in the figures */
  orphansAllowed?: boolean;
}): Promise<{ figures: FaultFigures; outcome: SubmitOutcome }> {
  const seen = new Map<string, number>();
  let complete = false;
  let chaos: Promise<string> | undefined;
  const r = rng(seed);
  const payloads = Array.from({ length: o.n }, () => ({ ms: o.jobMs ? o.jobMs() : 2 + Math.floor(r() * 6) }));
  const t0 = performance.now();
  const outcome = await submitBatch(o.nc, "tick", payloads, {
    timeoutMs: o.timeoutMs ?? 90_000,
    topology: o.topology,
    onResult(res) {
      seen.set(res.id, (seen.get(res.id) ?? 0) + 1);
      chaos ??= o.chaos(() => complete);
    },
  });
  complete = true;
  const seconds = (performance.now() - t0) / 1000;
  const faults = chaos ? await chaos : "none (no result arrived)";

  // The invariants a user relies on.
  const problems: string[] = [];
  const missing = outcome.results.map((x, i) => (x ? -1 : i)).filter((i) => i >= 0);
  if (missing.length) problems.push(`${missing.length} job(s) without a result (e.g. ${outcome.ids[missing[0]!]})${outcome.timedOut ? " after the submit timed out" : ""}`);
  const failed = outcome.results.filter((x) => x && !x.ok);
  if (failed.length) problems.push(`${failed.length} failed result(s), e.g. ${JSON.stringify(failed[0]!.error)}`);
  const wrong = outcome.results.filter((x, i) => x && (x.id !== outcome.ids[i] || (x.value as { id?: string })?.id !== outcome.ids[i]));
  if (wrong.length) problems.push(`${wrong.length} result(s) in the wrong place`);
  const twice = [...seen].filter(([, c]) => c > 1);
  if (twice.length) problems.push(`the submitter saw ${twice.length} id(s) more than once, e.g. ${twice[0]![0]}`);
  if (seen.size !== o.n) problems.push(`the submitter saw ${seen.size} distinct ids, expected ${o.n}`);

  // What JetStream holds afterwards: one result per id, nothing queued (every job acked), no dead letters.
  const jsm = await retrying(() => jetstreamManager(o.nc, { timeout: 10_000 }));
  const results = await retrying(() => jsm.streams.info(STREAM_RESULTS, { subjects_filter: `docctl.results.${outcome.batch}.>` }));
  const perSubject = results.state.subjects ?? {};
  const subjects = Object.keys(perSubject).length;
  if (subjects !== o.n) problems.push(`the results stream holds ${subjects} result subjects for the batch, expected ${o.n}`);
  if (Object.values(perSubject).some((c) => c !== 1)) problems.push("a result subject holds more than one result");
  // Every job acked: nothing pending or in flight for the consumer. Messages the consumer counts as
  // acked but the work-queue stream still holds are "orphans": nats-server 2.9 can leave them behind
  // after a SIGKILL (its ack and its delete are persisted separately; fixed in later 2.10 releases).
  let orphans = 0;
  const settled = await eventually(
    async () => {
      // a cluster may still be electing leaders after a node came back: a timeout here is "not yet"
      const ci = await jsm.consumers.info(STREAM_TASKS, "docctl-tick").catch(() => undefined);
      const left = (await jsm.streams.info(STREAM_TASKS).catch(() => undefined))?.state.messages;
      if (!ci || left === undefined) return undefined;
      if (ci.num_pending + ci.num_ack_pending > 0) return undefined;
      if (left > 0 && !o.orphansAllowed) return undefined; // acks may still be on their way
      orphans = left;
      return "settled";
    },
    20_000,
    "every job to be acked",
  ).catch((e: Error) => e.message);
  if (settled !== "settled") {
    const ts = (await retrying(() => jsm.streams.info(STREAM_TASKS))).state;
    const ci = await jsm.consumers.info(STREAM_TASKS, "docctl-tick").catch(() => undefined);
    problems.push(
      `${settled}: ${ts.messages} left in the task stream (seq ${ts.first_seq}..${ts.last_seq}); consumer: pending ${ci?.num_pending}, ` +
        `ack pending ${ci?.num_ack_pending}, redelivered ${ci?.num_redelivered}, delivered stream seq ${ci?.delivered.stream_seq}, ack floor stream seq ${ci?.ack_floor.stream_seq}`,
    );
  }
  const dead = (await retrying(() => jsm.streams.info(STREAM_DEAD))).state.messages;
  if (dead) problems.push(`${dead} dead letter(s)`);

  const lines = existsSync(o.logFile) ? readFileSync(o.logFile, "utf8").split("\n").filter(Boolean) : [];
  const runs = new Map<string, number>();
  for (const l of lines) {
    const id = l.split(" ")[0]!;
    runs.set(id, (runs.get(id) ?? 0) + 1);
  }
  const neverRan = outcome.ids.filter((id) => !runs.has(id));
  if (neverRan.length) problems.push(`${neverRan.length} job(s) have a result but no logged invocation, e.g. ${neverRan[0]}`);

  const figures: FaultFigures = {
    scenario: o.scenario,
    jobs: o.n,
    seconds: Math.round(seconds * 10) / 10,
    invocations: lines.length,
    rerunJobs: [...runs.values()].filter((c) => c > 1).length,
    redeliveredResults: outcome.results.filter((x) => x && x.attempts > 1).length,
    // each scenario has its own server: every sequence number used on the results stream is a result
    // written; a job run to the end twice writes twice and the stream keeps the last one
    resultWrites: results.state.last_seq,
    seenBySubmitter: [...seen.values()].reduce((a, b) => a + b, 0),
    orphans,
    faults,
  };
  console.log(
    `[faults] ${figures.scenario}: ${figures.jobs} jobs in ${figures.seconds}s; faults: ${figures.faults}; ` +
      `handler invocations ${figures.invocations} (${figures.rerunJobs} jobs ran more than once); ` +
      `results with attempts > 1: ${figures.redeliveredResults}; results written ${figures.resultWrites}; ` +
      `results seen by the submitter ${figures.seenBySubmitter}` +
      `${figures.orphans ? `; ${figures.orphans} acked jobs left in the task stream (orphans)` : ""} (seed ${seed})`,
  );
  if (problems.length) throw new Error(`${o.scenario}: ${problems.join("; ")}`);
  return { figures, outcome };
}


/** Retry a JetStream API call that times out while a cluster elects leaders (bounded: 10 tries). */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 10) throw err;
      await Bun.sleep(500);
    }
  }
}
