// `docctl status`: every live worker, its procs and what they are doing, and the lag of every handler.
import type { Command } from "../command.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { readManagerStatus, renderManagerStatus } from "../../core/scaler/status.ts";
import { durabilityWarnings } from "../../core/runtime/nats/durability.ts";
import { durOpt, natsOptionsFrom } from "../options.ts";
import { duration } from "../checks.ts";
import { note, yellow } from "../colour.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { handlerOverview, isForgotten } from "../../core/runtime/client/handlers.ts";
import { formatDuration } from "../../core/runtime/util/duration.ts";
import { PRESENCE_STALE_MS, type PresenceV1 } from "../../core/runtime/protocol/control.ts";
import { liveWorkers } from "../../core/runtime/client/fleet.ts";
import type { HandlerLag } from "../../core/runtime/client/lag.ts";
import { jobControlStatus, renderJobControl } from "../../core/runtime/client/job-control-status.ts";

/** What the lag table shows of a handler. */
type StatusLag = Pick<HandlerLag, "handler" | "pending" | "ackPending" | "lag">;

/** How long a handler may sit idle, with nothing queued and no live worker, before status leaves it out. */
export const statusDefaults = { forgetAfterMs: 7 * 24 * 3_600_000 };

export const command: Command = {
  name: "status",
  summary: "live workers, their procs and jobs, and the lag of every handler",
  help: `Usage: docctl status [WORKER...] [--json]

Lists every worker with a live presence entry (bucket DOCCTL_WORKERS): id, host, version, uptime,
state, and per proc its pid, state, restarts, jobs done and the job it is running with its age.
Then, per handler, the lag: jobs waiting plus jobs in flight on consumer docctl-<handler>.
Workers are sorted by id and handlers by name, in the tables and in --json alike.

A handler with nothing waiting or in flight, no live worker serving it, and no activity (a delivery,
an ack, a worker or manager registering it) for --forget-after is left out, so handlers renamed or
retired long ago do not pile up here. It is only hidden: \`docctl handlers\` still lists it, and its
jobs are still accepted.

Options:
  --json                one JSON object {workers, handlers, forgotten, warnings} instead of tables
                        (forgotten: the names of the handlers left out)
  --forget-after DUR    leave out handlers idle and workerless this long (default 7d)

Exit codes: 0 shown, 2 bad usage or a named WORKER is not live, 4 NATS unreachable.

Examples:
  docctl status
  docctl status web-1-4711 --json | jq '.workers[0].procs'`,
  options: {
    json: { type: "boolean" },
    "forget-after": { type: "string", check: duration },
  },
  positionals: true,
  async run(ctx) {
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl status"));
    try {
      const forgetAfterMs = durOpt(ctx, "forget-after", statusDefaults.forgetAfterMs);
      // Presence entries are rewritten at most twice a second; the workers' own answers are as of now.
      let workers = await liveWorkers(nc);
      if (ctx.positionals.length) {
        const missing = ctx.positionals.filter((id) => !workers.some((w) => w.id === id));
        if (missing.length) {
          const live = workers.map((w) => w.id);
          throw new InputError(`no live worker "${missing.join('", "')}" (${live.length ? `live: ${live.join(", ")}` : "no worker is live"}); \`docctl status\` lists them`);
        }
        workers = workers.filter((w) => ctx.positionals.includes(w.id));
      }
      const now = Date.now();
      const overview = await handlerOverview(nc);
      const forgotten = overview.filter((h) => isForgotten(h, now, forgetAfterMs)).map((h) => h.name);
      const lags: (StatusLag & { workers: string[] })[] = overview
        .filter((h) => !forgotten.includes(h.name))
        .map((h) => ({ handler: h.name, pending: h.pending, ackPending: h.in_flight, lag: h.lag, workers: h.workers }));
      // Data-loss risks of the streams in use (fewer replicas than the cluster could give, a replica
      // offline or behind, a stream without a leader): on stderr.
      const warnings = await durabilityWarnings(nc);
      for (const w of warnings) note(yellow(`warning: ${w}`));
      // the leading manager, if any: its servers by state, and why it stopped creating if it did
      const manager = await readManagerStatus(nc);
      if (manager?.halted) note(yellow(`warning: ${manager.halted}`));
      // delayed jobs waiting, schedules and limits in force (docs/jobs.md)
      const jobControl = await jobControlStatus(nc);
      if (ctx.values.json) console.log(JSON.stringify({ workers, handlers: lags, forgotten, warnings, manager, job_control: jobControl }, null, 2));
      else {
        if (manager) console.log(renderManagerStatus(manager).join("\n") + "\n");
        console.log(renderStatus(workers, lags, Date.now(), { count: forgotten.length, afterMs: forgetAfterMs }, manager?.provider));
        const jc = renderJobControl(jobControl, Date.now());
        if (jc.length) console.log("\n" + jc.join("\n"));
      }
      return 0;
    } finally {
      await nc.close();
    }
  },
};

/**
 * The human-readable status: a block per worker, then the handler lag table. `managerProvider`: the
 * provider of a live manager, which starts workers itself (`docctl up`, a fleet at zero).
 */
export function renderStatus(workers: PresenceV1[], lags: StatusLag[], now: number, hidden = { count: 0, afterMs: 0 }, managerProvider?: string): string {
  const out: string[] = [];
  if (!workers.length) {
    out.push(
      managerProvider
        ? `No live workers: the manager (provider ${managerProvider}) starts them when jobs wait.`
        : "No live workers. Start one with `docctl worker` (or `docctl up`, which starts them when jobs wait).",
    );
  }
  for (const w of workers) {
    const inFlight = w.in_flight ? `, ${w.in_flight} in flight` : "";
    // Presence is rewritten every few seconds; an older entry belongs to a worker that stopped answering.
    const silent = now - (w.updated_at ?? now);
    const isStale = silent > PRESENCE_STALE_MS;
    const stale = isStale ? `  STALE: last heard of ${formatDuration(silent)} ago, probably killed` : "";
    const up = (isStale ? w.updated_at : now) - w.started_at;
    out.push(`${w.id}  ${w.state}  (host ${w.host}, pid ${w.pid}, docctl ${w.version}, up ${formatDuration(up)}${inFlight})${stale}`);
    const labels = Object.entries(w.labels ?? {});
    if (labels.length) out.push(`  labels: ${labels.map(([k, v]) => `${k}=${v}`).join(" ")}`);
    const rows = w.procs.map((p) => {
      const job = p.in_flight[0];
      const more = p.in_flight.length > 1 ? ` +${p.in_flight.length - 1}` : "";
      const exit = p.last_exit && (p.state === "FATAL" || p.state === "BACKOFF")
        ? ` (${p.last_exit.signal ?? `exit ${p.last_exit.code}`})`
        : "";
      return [
        p.name,
        p.pid === null ? "-" : String(p.pid),
        p.state + exit,
        p.loop ?? "-",
        String(p.restarts),
        String(p.jobs_done),
        String(p.jobs_failed),
        job ? `${job.handler}/${job.id} (${formatDuration(job.age_ms)})${more}` : "-",
      ];
    });
    out.push(...table(["PROC", "PID", "STATE", "LOOP", "RESTARTS", "DONE", "FAILED", "CURRENT JOB"], rows).map((l) => `  ${l}`));
    out.push("");
  }
  if (lags.length) {
    out.push(...table(["HANDLER", "WAITING", "IN FLIGHT", "LAG"], lags.map((l) => [l.handler, String(l.pending), String(l.ackPending), String(l.lag)])));
  } else if (!hidden.count) out.push("No handler consumers yet (a worker creates them when it starts).");
  if (hidden.count) {
    out.push(`${hidden.count} handler(s) idle and without a worker for over ${formatDuration(hidden.afterMs)} not shown (--forget-after; docctl handlers lists them all)`);
  }
  return out.join("\n").trimEnd();
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(head), ...rows.map(line)];
}
