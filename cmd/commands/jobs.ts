// `docctl job ID`, `docctl jobs`, `docctl cancel`: where jobs stand, and stopping them.
import type { Command } from "../command.ts";
import { natsOptionsFrom } from "../options.ts";
import { oneOf, token, count } from "../checks.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { tokenProblem } from "../../core/runtime/protocol/subjects.ts";
import { JOB_STATES, jobInfo, type JobInfo, type JobState } from "../../core/runtime/client/job-state.ts";
import type { WorkflowNode } from "../../core/runtime/client/job-info.ts";
import { countJobs, queryJobs } from "../../core/runtime/client/job-index.ts";
import { parseDuration } from "../../core/runtime/util/duration.ts";
import { jobLogs } from "../../core/runtime/client/job-logs.ts";
import { LOG_MAX_LINES } from "../../core/runtime/protocol/job-log.ts";
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
  if (j.state === "retrying") {
    parts.push(`attempt ${j.attempt ?? "?"}${j.max_attempts ? `/${j.max_attempts}` : ""} failed${j.error ? ` with ${j.error.code}: ${truncate(j.error.message)}` : ""}`);
    if (j.next_at) parts.push(`next attempt at ${new Date(j.next_at).toISOString()} (in ${formatDuration(Math.max(0, j.next_at - now))})`);
  }
  if (!j.result && j.error && j.state !== "retrying") parts.push(`${j.error.code}: ${truncate(j.error.message)}`);
  if (j.result) {
    const r = j.result;
    parts.push(r.ok ? `value ${truncate(JSON.stringify(r.value) ?? "null")}` : `${r.error?.code}: ${r.error?.message}`);
    parts.push(`attempts ${r.attempts}, finished ${new Date(r.finished_at).toISOString()} on ${r.worker}`);
  }
  let out = `${head}${parts.length ? ": " + parts.join("; ") : ""}`;
  if (j.workflow?.kind === "chain") out += "\n" + formatTree(j.workflow.steps);
  else if (j.workflow) out += `\n  then: ${j.workflow.steps.map((s) => `${s.id} [${s.handler}]${s.state ? ` ${s.state}` : ""}`).join(" → ")}`;
  return out;
}

/** A chain as a tree: each step once, in order, with its state; a batch step with its items. */
export function formatTree(steps: WorkflowNode[]): string {
  const lines = ["  chain:"];
  steps.forEach((s, i) => {
    const delay = s.delay_ms ? ` (${formatDuration(s.delay_ms)} after the step before)` : "";
    if (s.batch === undefined) {
      lines.push(`    ${i + 1}. ${s.id} [${s.handler}] ${s.state ?? "waiting"}${delay}`);
      return;
    }
    const items = s.items ?? [];
    const n = typeof s.batch === "number" ? s.batch : items.length || undefined;
    const by = new Map<string, number>();
    for (const it of items) by.set(it.state ?? "waiting", (by.get(it.state ?? "waiting") ?? 0) + 1);
    const summary = [...by].map(([st, c]) => `${c} ${st}`).join(", ") || "waiting";
    lines.push(`    ${i + 1}. ${s.id} [${s.handler}] batch${n !== undefined ? ` of ${n}` : ""}${s.batch === "each" ? " (one per element of the value before)" : ""}: ${summary}${delay}`);
    for (const it of items.slice(0, 20)) lines.push(`       ${it.id} ${it.state ?? "waiting"}`);
    if (items.length > 20) lines.push(`       ... ${items.length - 20} more`);
  });
  return lines.join("\n");
}

const truncate = (s: string) => (s.length > 120 ? s.slice(0, 117) + "..." : s);

export const jobCommand: Command = {
  name: "job",
  summary: "where one job stands: scheduled, queued, running (worker, proc, attempt, progress), done, failed, cancelled, dead",
  help: `Usage: docctl job ID [--json] [--logs]

Shows job ID: scheduled (with its run time), queued (priority, jobs ahead of it), running (worker,
proc, attempt, since when, the handler's last progress), done or failed (the result), cancelled, or
dead (failed, with a dead letter kept). A chain's id or a batch's "<batch>-then" shows the workflow.

Options:
  --json   the state as one JSON object
  --logs   also the lines its handler wrote with ctx.log (the last ${LOG_MAX_LINES}, kept as long as results)

Exit codes: 0 found, 1 nothing known about ID (never submitted, or its result expired), 2 bad usage, 4 NATS unreachable.`,
  options: { json: { type: "boolean" }, logs: { type: "boolean" } },
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
      const logs = ctx.values.logs ? await jobLogs(nc, id, info.batch) : undefined;
      if (ctx.values.json) console.log(JSON.stringify(logs ? { ...info, logs } : info));
      else {
        console.log(formatJob(info));
        if (logs) {
          console.log(logs.length ? `log (${logs.length} line(s)):` : "log: no lines (the handler wrote none with ctx.log, or they expired)");
          for (const l of logs) console.log(`  ${new Date(l.at).toISOString()} ${l.level.padEnd(5)} [attempt ${l.attempt}] ${l.msg}`);
        }
      }
      return 0;
    } finally {
      await nc.close();
    }
  },
};

/** A point in time from the CLI: an ISO 8601 time, or a duration meaning that long ago (`2h`). */
export function parseTimeArg(v: string, name: string, now = Date.now()): number {
  if (/^(\d+(ms|s|m|h|d))+$/.test(v)) return now - parseDuration(v, name);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InputError(`${name} "${v}" is neither a time (2026-12-07T18:00:00Z) nor a duration ago (30m, 2h, 1d)`);
  return t;
}

const timeArg = (v: string) => {
  try {
    parseTimeArg(v, "value");
    return undefined;
  } catch {
    return "must be a time like 2026-12-07T18:00:00Z or a duration ago like 30m, 2h, 1d";
  }
};

/** The count line of `docctl jobs --count`. */
export function formatCounts(c: Record<JobState, number>): string {
  return JOB_STATES.map((s) => `${s} ${c[s]}`).join(", ");
}

export const jobsCommand: Command = {
  name: "jobs",
  summary: "list jobs by state, handler, batch and time, with counts and paging",
  help: `Usage: docctl jobs [--state S] [--handler H] [--batch B] [--since T] [--until T] [--limit N] [--after CURSOR] [--json]
       docctl jobs --count [--handler H] [--batch B] [--json]

Lists jobs from the job index, exactly: every job matching is counted, and --after pages through them.
scheduled jobs come soonest due first; running ones oldest first; the others in the order they
entered their state (oldest first). States: ${JOB_STATES.join(", ")}.

Options:
  --state S       only this state
  --handler H     only this job type
  --batch B       only this batch (a chain's id is its batch)
  --since T       entered its state at or after T (a time, 2026-12-07T18:00:00Z, or a duration ago: 30m, 2h);
                  scheduled jobs: due at or after T
  --until T       entered its state (scheduled: due) at or before T
  --limit N       at most N jobs on this page (default 100)
  --after CURSOR  the next page: the cursor the previous page ended with
  --count         how many jobs are in each state (with --handler / --batch: of those)
  --json          one JSON object: {"jobs":[...],"total":N,"next":CURSOR or null}; with --count {"<state>":N,...}

Exit codes: 0 listed (also when there are none), 2 bad usage, 4 NATS unreachable.`,
  options: {
    state: { type: "string", check: oneOf(...JOB_STATES) },
    handler: { type: "string", check: token },
    batch: { type: "string", check: token },
    since: { type: "string", check: timeArg },
    until: { type: "string", check: timeArg },
    limit: { type: "string", check: count(1) },
    after: { type: "string" },
    count: { type: "boolean" },
    json: { type: "boolean" },
  },
  async run(ctx) {
    const v = ctx.values;
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl jobs"));
    try {
      if (v.count) {
        if (v.state || v.after || v.since || v.until || v.limit) throw new InputError("--count counts every state; it takes only --handler and --batch");
        const c = await countJobs(nc, { handler: v.handler as string | undefined, batch: v.batch as string | undefined });
        console.log(v.json ? JSON.stringify(c) : formatCounts(c));
        return 0;
      }
      const page = await queryJobs(nc, {
        state: v.state as JobState | undefined,
        handler: v.handler as string | undefined,
        batch: v.batch as string | undefined,
        since: v.since ? parseTimeArg(v.since as string, "--since") : undefined,
        until: v.until ? parseTimeArg(v.until as string, "--until") : undefined,
        limit: v.limit ? Number(v.limit) : undefined,
        after: v.after as string | undefined,
      });
      if (v.json) {
        console.log(JSON.stringify({ jobs: page.jobs, total: page.total, next: page.next ?? null }));
        return 0;
      }
      for (const j of page.jobs) console.log(formatJob(j));
      console.error(`${page.jobs.length} of ${page.total} job(s)${page.next ? `; next page: docctl jobs ${pageArgs(v)}--after ${page.next}` : ""}`);
      return 0;
    } finally {
      await nc.close();
    }
  },
};

// The same listing's options, for the "next page" hint.
function pageArgs(v: Record<string, unknown>): string {
  return ["state", "handler", "batch", "since", "until", "limit"].filter((k) => v[k]).map((k) => `--${k} ${v[k]} `).join("");
}

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
