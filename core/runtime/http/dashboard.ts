// The operators' console of a worker or a manager (`--http`): GET / and its assets (console/: all
// served from the binary, no outside assets) and the JSON it reads: /api/overview (this process, workers and their procs, queues,
// dead letters), /api/history (charts, from DOCCTL_HISTORY), /api/jobs and /api/job (the job
// browser), /api/schedules (schedules and delayed jobs), /api/audit; and the actions of actions.ts
// (POST: startHttp's Host, Origin, JSON and token rules apply to each).
import { recentDead, type DeadCache } from "../client/dead.ts";
import { redactUrl } from "../util/log.ts";
import type { RouteHandler } from "./server.ts";
import { readHandlerLags } from "../client/lag.ts";
import { listWorkers } from "../client/fleet.ts";
import { listSchedules } from "../client/schedules.ts";
import { jobInfo, listJobs, JOB_STATES, type JobState } from "../client/job-state.ts";
import { knownHandlerNames } from "../nats/handlers.ts";
import { PRESENCE_STALE_MS, type PresenceProcV1 } from "../protocol/control.ts";
import type { ManagerRow, ServerRow, WorkerHttpContext } from "./worker-http.ts";
import type { LoopStats } from "../worker/loop.ts";
import { consoleAssetRoutes } from "./console/assets.ts";
import { HistoryReader, historyInterval } from "./history.ts";
import { IndexJobSource, type JobSource } from "./jobs-source.ts";
import { AuditLog } from "./audit.ts";
import { actionRoutes } from "./actions.ts";
import { deadBacklog, delayedCount, handlerPaused, oldestJobAge } from "./queue-facts.ts";
import { StaleWorkers } from "./stale-workers.ts";

/** Dead letters shown, newest first. */
const DEAD_SHOWN = 25;

/** A proc as the console shows it. */
export interface ProcRow extends Omit<PresenceProcV1, "in_flight"> {
  in_flight: number;
  /** resident memory, bytes (this worker's procs only: others' are not reachable) */
  rss?: number;
}

export interface WorkerRow {
  id: string;
  host: string;
  state: string;
  version: string;
  in_flight: number;
  /** presence not rewritten for PRESENCE_STALE_MS: the worker stopped answering */
  stale: boolean;
  updated_at: number;
  /** its presence entry expired (it was not stopped cleanly): the row is its last known state (stale-workers.ts) */
  expired_at?: number;
  handlers?: string[];
  labels: Record<string, string>;
  procs: ProcRow[];
  self?: boolean;
}

export interface QueueRow {
  handler: string;
  pending: number;
  ackPending: number;
  lag: number;
  oldestAgeS: number;
  paused: boolean;
  dead: number;
}

export interface Overview {
  /** this process: a worker (its loop or its procs added up) or a manager */
  worker: { kind: "worker" | "manager"; id: string; state: string; done: number; failed: number; retried: number; inFlight: { id: string; handler: string; startedAt: number; progress?: { fraction?: number; done?: number; total?: number; message?: string } }[] };
  workers: WorkerRow[];
  queues: QueueRow[];
  dead: { seq: number; id: string | null; handler: string; code: string; message: string; attempts: number; worker: string; failedAt: number }[];
  deadTotal: number;
  delayed: number;
  /** a manager's servers (absent on a worker's console) */
  servers?: ServerRow[];
  manager?: ManagerRow;
  /** open: no token needed; token: send Authorization: Bearer; disabled: listening beyond loopback without --http-token */
  actions: "open" | "token" | "disabled";
  historyIntervalMs: number;
  now: number;
}

/** Routes of the console. */
export function dashboardRoutes(ctx: WorkerHttpContext, o: { jobs?: JobSource; log?: (line: string) => void } = {}): Record<string, RouteHandler> {
  const deadCache: DeadCache = {};
  const nc = () => ctx.nc;
  const readers = new Map<number, HistoryReader>();
  const jobs = o.jobs ?? new IndexJobSource(nc);
  const audit = new AuditLog(nc, ctx.workerId, o.log);
  const stale = new StaleWorkers<WorkerRow>(nc);
  const json = (v: unknown, status = 200) => Response.json(v, { status, headers: { "cache-control": "no-store" } });
  return {
    ...consoleAssetRoutes(),
    "GET /api/overview": async () => json(await overview(ctx, deadCache, stale)),
    "GET /api/history": async (_req, url) => {
      const hours = Math.min(48, Math.max(1, Number(url.searchParams.get("hours")) || 24));
      let r = readers.get(hours);
      if (!r) readers.set(hours, (r = new HistoryReader(nc, hours * 3_600_000)));
      return json({ intervalMs: historyInterval(process.env.DOCCTL_HISTORY_INTERVAL), hours, series: await r.read() });
    },
    "GET /api/jobs": async (_req, url) => {
      const p = url.searchParams;
      const state = p.get("state") || undefined;
      if (state && !(JOB_STATES as readonly string[]).includes(state)) return json({ error: `state must be one of ${JOB_STATES.join(", ")} (got "${state}")` }, 400);
      return json(await jobs.list({ state: state as JobState | undefined, handler: p.get("handler") || undefined, batch: p.get("batch") || undefined, q: p.get("q") || undefined, cursor: p.get("cursor") || undefined, limit: Number(p.get("limit")) || 50 }));
    },
    "GET /api/job": async (_req, url) => {
      const id = url.searchParams.get("id") ?? "";
      const d = id ? await jobs.get(id) : undefined;
      return d ? json(d) : json({ error: `no job "${id}" is known (never submitted, or its result expired)` }, 404);
    },
    "GET /api/schedules": async () => {
      const c = ctx.nc;
      if (!c) return json({ schedules: [], delayed: [] });
      const now = Date.now();
      // the page's lists are best effort: a bucket or index that cannot be read now shows empty until the next refresh
      const [schedules, delayed] = await Promise.all([listSchedules(c, now).catch(() => []), listJobs(c, { state: "scheduled", limit: 200 }).catch(() => [])]);
      // the last run: the latest tick a worker finished (noted with its result, nats/schedule-runs.ts)
      const withLast = schedules.map((s) =>
        s.last ? { ...s, last_at: s.last.tick, last_id: s.last.id, last_state: s.last.ok ? "done" : s.last.code === "CANCELLED" ? "cancelled" : "failed" } : s,
      );
      return json({ schedules: withLast, delayed, now });
    },
    // no audit stream yet (nothing audited) or unreadable now: an empty list
    "GET /api/audit": async () => json({ entries: await audit.recent(200).catch(() => []) }),
    ...actionRoutes(nc, audit),
  };
}

async function overview(ctx: WorkerHttpContext, deadCache: DeadCache, stale: StaleWorkers<WorkerRow>): Promise<Overview> {
  const manager = ctx.manager?.();
  const childStats = ctx.procStats ? await ctx.procStats() : undefined;
  const stats = ctx.loop?.stats() ?? (childStats ? sumStats(childStats) : undefined);
  // best effort: no handler list when the bucket cannot be read now
  const handlers = ctx.handlers.length ? ctx.handlers : ctx.nc ? await knownHandlerNames(ctx.nc).catch(() => []) : [];
  const queues: QueueRow[] = [];
  if (ctx.jsm) {
    const jsm = ctx.jsm;
    const backlog = await deadBacklog(jsm).catch(() => ({}) as Record<string, number>);
    // a consumer gone for a moment leaves its handler out of this reading
    for (const l of await readHandlerLags(jsm, handlers).catch(() => [])) {
      // best effort per row: age 0 and not paused when they cannot be read now
      const [oldest, paused] = await Promise.all([oldestJobAge(jsm, l.handler).catch(() => 0), handlerPaused(jsm, l.handler).catch(() => ({ paused: false }))]);
      queues.push({ handler: l.handler, pending: l.pending, ackPending: l.ackPending, lag: l.lag, oldestAgeS: oldest, paused: paused.paused, dead: backlog[l.handler] ?? 0 });
    }
  }
  const dead = ctx.nc ? await recentDead(ctx.nc, DEAD_SHOWN, deadCache).catch(() => ({ total: 0, entries: [] })) : { total: 0, entries: [] };
  const workers = await workerRows(ctx, childStats, stale);
  const self = workers.find((w) => w.id === ctx.workerId);
  return {
    worker: {
      kind: manager ? "manager" : "worker",
      id: ctx.workerId,
      state: manager ? (manager.leader ? "leading" : "standby") : (self?.state ?? stats?.state ?? "starting"),
      // the supervisor's counts (presence) include procs that ended since: the procs' own stats start again at each restart
      done: self ? self.procs.reduce((n, p) => n + p.jobs_done, 0) : (stats?.jobsDone ?? 0),
      failed: self ? self.procs.reduce((n, p) => n + p.jobs_failed, 0) : (stats?.jobsFailed ?? 0),
      retried: stats?.jobsRetried ?? 0,
      inFlight: stats?.inFlight.map((j) => ({ id: j.id, handler: j.handler, startedAt: j.startedAt, progress: j.progress })) ?? [],
    },
    workers,
    queues,
    dead: dead.entries.map(({ seq, dead: d }) => ({
      seq,
      id: d.job?.id ?? null,
      handler: d.job?.handler ?? d.subject.split(".").pop() ?? "?",
      code: d.error.code,
      // a handler's message may echo a URL with credentials in it
      message: redactUrl(d.error.message),
      attempts: d.attempts,
      worker: d.worker,
      failedAt: d.failed_at,
    })),
    deadTotal: dead.total,
    // best effort: 0 delayed when the count cannot be read now
    delayed: ctx.jsm ? await delayedCount(ctx.jsm).catch(() => 0) : 0,
    ...(ctx.servers ? { servers: ctx.servers() } : {}),
    ...(manager ? { manager } : {}),
    actions: ctx.actions,
    historyIntervalMs: historyInterval(process.env.DOCCTL_HISTORY_INTERVAL),
    now: Date.now(),
  };
}

// Workers from the presence bucket, each with its procs; this worker's procs with their memory. A worker
// whose entry was not rewritten for PRESENCE_STALE_MS is stale (it stopped answering, or is gone); one
// whose entry has expired since is still shown, stale, from its last listing (stale-workers.ts).
async function workerRows(ctx: WorkerHttpContext, childStats: (LoopStats & { rss?: number; pid?: number })[] | undefined, stale: StaleWorkers<WorkerRow>): Promise<WorkerRow[]> {
  const now = Date.now();
  const rssByPid = new Map<number, number>();
  for (const s of childStats ?? []) if (s.pid && s.rss) rssByPid.set(s.pid, s.rss);
  // a listing that failed says nothing about who is gone: no expired rows from it
  const listed = ctx.nc ? await listWorkers(ctx.nc).catch(() => undefined) : [];
  const out: WorkerRow[] = (listed ?? []).map((w) => ({
    id: w.id,
    host: w.host,
    state: w.state,
    version: w.version,
    in_flight: w.in_flight,
    stale: now - w.updated_at > PRESENCE_STALE_MS,
    updated_at: w.updated_at,
    handlers: w.handlers,
    labels: w.labels,
    procs: w.procs.map(({ in_flight, ...p }) => ({ ...p, in_flight: in_flight.length, ...(w.id === ctx.workerId && p.pid && rssByPid.has(p.pid) ? { rss: rssByPid.get(p.pid) } : {}) })),
    ...(w.id === ctx.workerId ? { self: true } : {}),
  }));
  if (listed) for (const w of await stale.expired(out, now)) out.push({ ...w, stale: true, in_flight: 0 });
  // a worker with no supervisor (--procs 0) announces no presence: shown from its loop (a manager is not a worker)
  if (!ctx.manager && !out.some((w) => w.id === ctx.workerId)) {
    const st = ctx.loop?.stats();
    out.unshift({ id: ctx.workerId, host: "", state: st?.state ?? "starting", version: "", in_flight: st?.inFlight.length ?? 0, stale: false, updated_at: now, labels: {}, procs: [{ name: "proc", handler: null, pid: process.pid, state: st ? "RUNNING" : "STARTING", loop: st?.state ?? null, restarts: 0, jobs_done: st?.jobsDone ?? 0, jobs_failed: st?.jobsFailed ?? 0, in_flight: st?.inFlight.length ?? 0, started_at: null, last_exit: null, rss: process.memoryUsage().rss }], self: true });
  }
  return out;
}

// A supervisor's procs as one worker: counters added up, in-flight jobs together.
function sumStats(all: LoopStats[]): LoopStats | undefined {
  if (!all.length) return undefined;
  const state = all.some((s) => s.state === "running") ? "running" : all[0]!.state;
  return {
    state,
    jobsDone: all.reduce((n, s) => n + s.jobsDone, 0),
    jobsFailed: all.reduce((n, s) => n + s.jobsFailed, 0),
    jobsRetried: all.reduce((n, s) => n + s.jobsRetried, 0),
    inFlight: all.flatMap((s) => s.inFlight),
  };
}
