// `docctl submit FILE|-`: submit one job, many, or a batch, and bring the results back.
import { readFileSync } from "node:fs";
import type { Command } from "../command.ts";
import { durOpt, intOpt, strOpt, natsOptionsFrom } from "../options.ts";
import { count, duration } from "../checks.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { parseJobFile, type PlannedJob } from "../../core/runtime/client/jobfile.ts";
import { putLifo } from "../../core/runtime/client/lifo.ts";
import { startBatch, submitDefaults, type CollectedResult } from "../../core/runtime/client/submit.ts";
import { formatDuration } from "../../core/runtime/util/duration.ts";
import { progressBar } from "../progress.ts";
import { green, note as stderrLine, red, yellow } from "../colour.ts";

export const command: Command = {
  name: "submit",
  summary: "submit a job, an array of jobs, or a map-reduce batch, and wait for the results",
  help: `Usage: docctl submit FILE|- [options]

FILE (or - for standard input) holds one of:
  a job       {"handler": "echo", "payload": {...}, "id"?: "invoice-1001"}
  jobs        [{"handler": ..., "payload": ...}, ...]
  a batch     {"handler": "title", "batch": [payload, payload, ...], "id"?: "..."}
              (map-reduce: results come back in input order)
  a chain     {"chain": [{"handler": ..., "payload": ...}, {"handler": ...}], "id"?: "..."}
              (a step without "payload" gets the previous step's value; the result is the last step's)
Optional on each: "timeout_ms" (one attempt's limit), "attempts" (before a dead letter),
"delay" ("30s", "10m") or "run_at" (ISO 8601 with a zone), "priority" ("high", "normal", "low").
A single job may add "lifo": true (as --lifo).
A batch may add "then": {"handler": "sum", "on_failure"?: "fail"|"null"}: run once on the array of
the items' values. Running jobs' ctx.progress() moves the bar (see docs/jobs.md).
Re-submitting the same ids inside the duplicate window (15 min) does not run the jobs again:
their stored results are returned.

Options:
  --no-wait             print the job ids and return at once (fire and forget)
  --timeout DUR         stop waiting after DUR (default 5m); exit code 3
  --reconnect-grace DUR when the connection to NATS is lost while waiting, how long to try to get it
                        back before giving up with what has arrived (default 10s); exit code 4
  --out DIR             write documents named by results into DIR (as they arrive)
  --json                one JSON line per result on stdout (in input order, as they come)
  --fail-fast           stop waiting at the first failed result
  --create              queue jobs for a handler the fleet does not know yet (docctl handlers lists
                        the known ones); without it such a handler is refused as a likely typo
  --window N            jobs submitted ahead of the results printed, at most (default 4096): keeps
                        memory flat for a batch of any size
  --lifo                a single job: take it before the jobs of its handler and priority waiting now
                        (the newest lifo job first); they are moved behind it (not with "delay")

Results are printed in input order (the order of the file), each as soon as every one before it is
in, readable lines and --json alike; the summary line goes to stderr (green: all ok, red: some
failed, yellow: some without a result).

Exit codes: 0 all ok, 1 some job failed, 2 bad input or usage, 3 timed out, 4 NATS unreachable
(at start, or lost while waiting and not back within --reconnect-grace).

Examples:
  docctl submit examples/echo.json
  docctl submit examples/invoice/job.json --out ./out
  echo '{"handler":"echo","payload":{"hi":1}}' | docctl submit - --json`,
  options: {
    "no-wait": { type: "boolean" },
    lifo: { type: "boolean" },
    timeout: { type: "string", check: duration },
    "reconnect-grace": { type: "string", check: duration },
    out: { type: "string" },
    json: { type: "boolean" },
    "fail-fast": { type: "boolean" },
    create: { type: "boolean" },
    window: { type: "string", check: count(1) },
  },
  positionals: true,
  async run(ctx) {
    const file = ctx.positionals[0];
    if (!file || ctx.positionals.length > 1) throw new InputError("give exactly one job file, or - for standard input (see docctl submit --help)");
    let text: string;
    try {
      text = file === "-" ? await Bun.stdin.text() : readFileSync(file, "utf8");
    } catch (err) {
      throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
    const plan = parseJobFile(text, file === "-" ? "<stdin>" : file);
    // checking a big file leaves its garbage behind (the plan keeps only offsets): collect it now
    if (plan.size > 10_000) Bun.gc(true);
    const wait = !ctx.values["no-wait"];
    const json = Boolean(ctx.values.json);
    const timeoutMs = durOpt(ctx, "timeout", submitDefaults.timeoutMs);
    const startsIn = Math.max(plan.longestDelayMs ?? 0, (plan.latestRunAt ?? 0) - Date.now());
    if (wait && startsIn >= timeoutMs) {
      throw new InputError(
        `a job starts in ${formatDuration(startsIn)}, after --timeout (${formatDuration(timeoutMs)}) would stop the wait: submit it with --no-wait and read it later with docctl job ID, or give a longer --timeout`,
      );
    }
    // Once connected, keep reconnecting: a server restart while waiting must not leave the results unread
    // (with the default 10 attempts, a 4 s outage ended in "timed out"). An outage longer than
    // --reconnect-grace ends the wait with what has arrived (exit 4) instead of sitting out --timeout.
    const lostGraceMs = durOpt(ctx, "reconnect-grace", submitCliDefaults.reconnectGraceMs);
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl submit", { reconnectForever: true }));
    const started = Date.now();
    // a single job gets a bar too on a terminal: it moves with the handler's ctx.progress()
    const bar = !json && wait && process.stderr.isTTY ? progressBar(plan.size) : undefined;
    let progressNote = "";
    // Results are printed as they come, in input order: a batch of any size is never held whole
    // (a window of jobs is in flight, documents are written to --out as they arrive).
    const out = lineBuffer();
    const print = (line: string) => (bar ? bar.log(line) : out.push(line));
    const saveErrors: string[] = [];
    const lastLine = new Map<string, number>();
    let ok = 0;
    let failed = 0;
    let lifoPut = false;
    try {
      if (ctx.values.lifo || (plan.kind === "single" && (plan.jobs as PlannedJob[])[0]?.lifo)) {
        if (plan.kind !== "single") throw new InputError(`--lifo is for a file of one job, not ${plan.kind === "chain" ? "a chain" : "several jobs"} (each lifo job moves the waiting queue behind it)`);
        // at the head of its queue first; the submit below is then a duplicate that waits for the result
        await putLifo(nc, (plan.jobs as PlannedJob[])[0]!, { create: Boolean(ctx.values.create) });
        lifoPut = true;
      }
      const run = await startBatch(nc, plan, {
        wait,
        timeoutMs,
        lostGraceMs,
        outDir: strOpt(ctx, "out"),
        failFast: Boolean(ctx.values["fail-fast"]),
        create: Boolean(ctx.values.create),
        window: intOpt(ctx, "window", submitDefaults.window),
        onProgress: bar ? (p) => bar.update(p.done, p.failed, p.partial, progressNote) : undefined,
        // without a terminal, progress reports are lines on stderr (at most one a second per job)
        onJobProgress: (p) => {
          if (p.message) progressNote = p.message;
          if (bar || json) return;
          const last = lastLine.get(p.id) ?? 0;
          if (Date.now() - last < 1000) return;
          lastLine.set(p.id, Date.now());
          console.error(`… ${p.id} [${p.handler}] ${progressText(p)}`);
        },
      });
      for await (const { result: r } of run) {
        // JavaScriptCore lets the heap grow with the garbage of a long batch (RSS sawing up to 320 MB
        // over a million jobs); a collection every 50 000 results keeps it lower for ~20 ms each.
        if ((ok + failed) % 50_000 === 49_999) Bun.gc(true);
        if (!r.ok || r.save_error) failed++;
        else ok++;
        if (r.save_error) saveErrors.push(`${r.id}: ${r.save_error}`);
        print(json ? resultJson(r) : formatResult(r));
      }
      out.flush();
      bar?.done();
      const s = run.summary();
      // the lifo job's own second publish is not a re-submit
      if (lifoPut) s.duplicates = 0;
      if (!wait && !s.lost) {
        // input order, read again from the file (the plan keeps offsets, not a million ids)
        // the ids to read results by: a chain's is its own (its last step's), a batch's reduce step is listed too
        for (const j of plan.jobs) console.log(json ? JSON.stringify({ id: j.resultId ?? j.id, batch: s.batch }) : (j.resultId ?? j.id));
        if (s.duplicates && !json) stderrLine(`${s.duplicates} of ${s.submitted} were already submitted (duplicate window): not queued again`);
        return 0;
      }
      const missing = s.missing + s.notSubmitted;
      for (const e of saveErrors) console.error(e);
      if (!json) {
        const dup = s.duplicates ? `, ${s.duplicates} already submitted before (not run again)` : "";
        const line = `${ok} ok, ${failed} failed${missing ? `, ${missing} without a result` : ""} in ${formatDuration(Date.now() - started)}${dup}`;
        // the colour says what happened (Bun's console.error would paint even "all ok" red on a terminal)
        stderrLine(failed ? red(line) : missing ? yellow(line) : green(line));
      }
      if (s.lost) {
        console.error(
          `docctl submit: lost the connection to NATS and it did not come back within ${formatDuration(lostGraceMs)} ` +
            `(${s.done} of ${s.submitted + s.notSubmitted} results received). What was published stays queued: ` +
            `read the results later with docctl result ID once NATS is back.`,
        );
        return 4;
      }
      if (s.timedOut && missing) {
        const never = s.notSubmitted ? ` (${s.notSubmitted} of them were never submitted: submit them again)` : "";
        console.error(`timed out after ${formatDuration(timeoutMs)} waiting for ${missing} result(s)${never}; the submitted jobs stay queued: read them later with docctl result ID`);
        return 3;
      }
      return failed || missing ? 1 : 0;
    } finally {
      out.flush();
      bar?.done();
      await nc.close();
    }
  },
};

/**
 * Result lines for stdout, written in batches: one write per 512 lines or 20 ms instead of one per
 * result (a million-job batch made a million write calls). Lines are never held longer than that.
 */
function lineBuffer() {
  let lines: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!lines.length) return;
    console.log(lines.join("\n"));
    lines = [];
  };
  return {
    push(line: string) {
      lines.push(line);
      if (lines.length >= 512) flush();
      else timer ??= setTimeout(flush, 20);
    },
    flush,
  };
}

export const submitCliDefaults = { reconnectGraceMs: 10_000 };

/** A result as one JSON line: an inline document's bytes are left out (`--out DIR` saves them). */
export function resultJson(r: CollectedResult): string {
  // An output without bucket + name travelled inline (its bytes may already be dropped once saved to --out).
  if (!r.output || (!r.output.data && r.output.bucket)) return JSON.stringify(r);
  const { data: _data, ...output } = r.output;
  return JSON.stringify({ ...r, output: { ...output, inline: true } });
}

/** A progress report for people: `40% (4/10) rendering page 4`. */
export function progressText(p: { fraction?: number; done?: number; total?: number; message?: string }): string {
  const pct = p.fraction !== undefined ? `${Math.round(p.fraction * 100)}%` : "";
  const of = p.total !== undefined ? `(${p.done ?? 0}/${p.total})` : p.done !== undefined ? `(${p.done})` : "";
  return [pct, of, p.message ?? ""].filter(Boolean).join(" ");
}

/** One readable line per result. */
export function formatResult(r: CollectedResult): string {
  const took = formatDuration(r.finished_at - r.started_at);
  if (!r.ok) return `✖ ${r.id} [${r.handler}] ${r.error?.code}: ${r.error?.message} (attempts ${r.attempts})`;
  if (r.save_error) return `✖ ${r.id} [${r.handler}] ${r.save_error}`;
  const saved = r.saved_to ? ` → ${r.saved_to}` : r.output ? ` (document ${r.output.filename ?? r.output.name}, ${r.output.size} bytes; --out DIR saves it)` : "";
  let value = JSON.stringify(r.value) ?? "null";
  if (value.length > 160) value = value.slice(0, 157) + "...";
  return `✔ ${r.id} [${r.handler}] ${took}${saved} ${value}`;
}
