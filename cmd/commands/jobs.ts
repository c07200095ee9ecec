// `docctl job ID`, `docctl jobs`, `docctl cancel`: where jobs stand, and stopping them.
import type { Command } from "../command.ts";
import { natsOptionsFrom } from "../options.ts";
import { oneOf, token, count } from "../checks.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { tokenProblem } from "../../core/runtime/protocol/subjects.ts";
import { JOB_STATES, jobInfo, listJobs, type JobInfo } from "../../core/runtime/client/job-state.ts";
import { cancelBatch, cancelJobs } from "../../core/runtime/client/cancel.ts";
import { formatDuration } from "../../core/runtime/util/duration.ts";
import { progressText } from "./submit.ts";

/** One job's state for people, a line or a few. */
export function formatJob(j: JobInfo, now = Date.now()): string {
  const head = `${j.id} [${j.handler ?? j.workflow?.kind ?? "?"}] ${j.state}`;
  const parts: string[] = [];
  if (j.state === "scheduled" && j.run_at) parts.push(`runs at ${new Date(j.run_at).toISOString()} (in ${formatDuration(Math.max(0, j.run_at - now))})`);
  if (j.state === "queued") parts.push(`priority ${j.priority ?? "normal"}${j.delivered ? ", handed to a worker, not started yet" : j.position !== undefined ? `, ${j.position} ahead of it` : ""}`);
  if (j.state === "running") {
    parts.push(`on ${j.worker}${j.proc ? ` ${j.proc}` : ""}${j.pid ? ` (pid ${j.pid})` : ""}, attempt ${j.attempt ?? "?"}, started ${j.started_at ? `${formatDuration(now - j.started_at)} ago` : "?"}`);
    if (j.progress) parts.push(`progress ${progressText(j.progress)}`);
  }
  if (j.result) {
    const r = j.result;
    parts.push(r.ok ? `value ${truncate(JSON.stringify(r.value) ?? "null")}` : `${r.error?.code}: ${r.error?.message}`);
    parts.push(`attempts ${r.attempts}, finished ${new Date(r.finished_at).toISOString()} on ${r.worker}`);
  }
  let out = `${head}${parts.length ? ": " + parts.join("; ") : ""}`;
  if (j.workflow) out += `\n  ${j.workflow.kind === "chain" ? "chain steps" : "then"}: ${j.workflow.steps.map((s) => `${s.id} [${s.handler}]${s.state ? ` ${s.state}` : ""}`).join(" → ")}`;
  return out;
}

const truncate = (s: string) => (s.length > 120 ? s.slice(0, 117) + "..." : s);

export const jobCommand: Command = {
  name: "job",
  summary: "where one job stands: scheduled, queued, running (worker, proc, attempt, progress), done, failed, cancelled, dead",
  help: `Usage: docctl job ID [--json]

Shows job ID: scheduled (with its run time), queued (priority, jobs ahead of it), running (worker,
proc, attempt, since when, the handler's last progress), done or failed (the result), cancelled, or
dead (failed, with a dead letter kept). A chain's id or a batch's "<batch>-then" shows the workflow.

Options:
  --json   the state as one JSON object

Exit codes: 0 found, 1 nothing known about ID (never submitted, or its result expired), 2 bad usage, 4 NATS unreachable.`,
  options: { json: { type: "boolean" } },
  positionals: true,
  async run(ctx) {
    const id = ctx.positionals[0];
    if (!id || ctx.positionals.length > 1) throw new InputError("give one job id (see docctl job --help)");
    const p = tokenProblem(id);
    if (p) throw new InputError(`job id "${id}" ${p}`);
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl job"));
    try {
      const info = await jobInfo(nc, id);
      if (!info) {
        console.error(`nothing is known about job "${id}": never submitted, or its result has expired (results are kept 24h)`);
        return 1;
      }
      console.log(ctx.values.json ? JSON.stringify(info) : formatJob(info));
      return 0;
    } finally {
      await nc.close();
    }
  },
};

export const jobsCommand: Command = {
  name: "jobs",
  summary: "list jobs by state and handler",
  help: `Usage: docctl jobs [--state S] [--handler H] [--limit N] [--json]

Lists jobs: scheduled (soonest first), queued (oldest first), running, and the newest finished ones
(done, failed, cancelled, dead).

Options:
  --state S     only this state: ${JOB_STATES.join(", ")}
  --handler H   only this job type
  --limit N     at most N jobs per state (default 100)
  --json        one JSON line per job

Exit codes: 0 listed (also when there are none), 2 bad usage, 4 NATS unreachable.`,
  options: { state: { type: "string", check: oneOf(...JOB_STATES) }, handler: { type: "string", check: token }, limit: { type: "string", check: count(1) }, json: { type: "boolean" } },
  async run(ctx) {
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl jobs"));
    try {
      const list = await listJobs(nc, {
        state: ctx.values.state as (typeof JOB_STATES)[number] | undefined,
        handler: ctx.values.handler as string | undefined,
        limit: ctx.values.limit ? Number(ctx.values.limit) : undefined,
      });
      for (const j of list) console.log(ctx.values.json ? JSON.stringify(j) : formatJob(j));
      if (!ctx.values.json) console.error(`${list.length} job(s)`);
      return 0;
    } finally {
      await nc.close();
    }
  },
};

export const cancelCommand: Command = {
  name: "cancel",
  summary: "cancel jobs: queued or scheduled ones never run, running ones are told to stop",
  help: `Usage: docctl cancel ID... | --batch B

A scheduled or queued job never runs; a running one gets its ctx.signal aborted (a handler that does
not stop is ended by the worker's watchdog). Each ends with a failed result, code CANCELLED, so a
submit waiting for it returns. A chain's id cancels the chain; --batch cancels every job of a batch.

Options:
  --batch B   every job of batch B (a batch's id, or a chain's)
  --json      one JSON line per job

Exit codes: 0 cancelled (or already finished), 1 some id is unknown, 2 bad usage, 4 NATS unreachable.`,
  options: { batch: { type: "string", check: token }, json: { type: "boolean" } },
  positionals: true,
  async run(ctx) {
    const batch = ctx.values.batch as string | undefined;
    if (!batch && !ctx.positionals.length) throw new InputError("give job ids or --batch B (see docctl cancel --help)");
    if (batch && ctx.positionals.length) throw new InputError("give job ids or --batch B, not both");
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl cancel"));
    try {
      const out = batch ? await cancelBatch(nc, batch) : await cancelJobs(nc, ctx.positionals);
      for (const o of out) {
        if (ctx.values.json) console.log(JSON.stringify(o));
        else if (o.outcome === "cancelled") console.log(`${o.id}: cancelled (was ${o.was}): it will not run`);
        else if (o.outcome === "aborting") console.log(`${o.id}: running: its signal is aborted, it ends as CANCELLED`);
        else if (o.outcome === "finished") console.log(`${o.id}: already ${o.was}: nothing to cancel`);
        else console.error(`${o.id}: not found (no such job scheduled, queued, running or finished); marked cancelled in case it shows up`);
      }
      if (batch && !ctx.values.json) console.error(`batch ${batch}: ${out.length} job(s) found; any job of it taken from now on is cancelled`);
      return out.some((o) => o.outcome === "unknown") ? 1 : 0;
    } finally {
      await nc.close();
    }
  },
};
