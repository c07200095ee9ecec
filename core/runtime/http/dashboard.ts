// The worker's live dashboard: GET / (one self-contained page), GET /api/overview (what it draws:
// workers, lag and its recent history, dead letters), POST /api/dead/retry (an action: token rules
// of startHttp apply).
import { recentDead, retryDead, type DeadCache } from "../client/dead.ts";
import { redactUrl } from "../util/log.ts";
import { InputError } from "../protocol/errors.ts";
import type { RouteHandler } from "./server.ts";
import { readHandlerLags } from "../client/lag.ts";
import { listWorkers } from "../client/fleet.ts";
import type { ManagerRow, ServerRow, WorkerHttpContext } from "./worker-http.ts";
import type { LoopStats } from "../worker/loop.ts";
import { DASHBOARD_HTML } from "./dashboard-page.ts";

/** Lag samples kept for the chart: one per poll at most every 2 s, the last 30 minutes. */
const HISTORY = { everyMs: 2_000, keep: 900 };
/** Dead letters shown, newest first. */
const DEAD_SHOWN = 25;

export interface Overview {
  worker: { id: string; state: string; done: number; failed: number; retried: number; inFlight: { id: string; handler: string; startedAt: number; progress?: { fraction?: number; done?: number; total?: number; message?: string } }[] };
  workers: { id: string; info: unknown }[];
  lag: Record<string, { pending: number; ackPending: number; lag: number }>;
  history: { t: number; lag: Record<string, number> }[];
  dead: { seq: number; id: string | null; handler: string; code: string; message: string; attempts: number; worker: string; failedAt: number }[];
  deadTotal: number;
  /** a manager's servers (absent on a worker's dashboard) */
  servers?: ServerRow[];
  manager?: ManagerRow;
  /** open: no token needed; token: send Authorization: Bearer; disabled: listening beyond loopback without --http-token */
  actions: "open" | "token" | "disabled";
  now: number;
}

/** Routes of the dashboard. */
export function dashboardRoutes(ctx: WorkerHttpContext): Record<string, RouteHandler> {
  const history: Overview["history"] = [];
  // the newest dead letters, re-read only when the stream changed since the last poll
  const deadCache: DeadCache = {};
  return {
    "GET /": () => new Response(DASHBOARD_HTML, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } }),
    "GET /api/overview": async () => {
      const o = await overview(ctx, history, deadCache);
      return Response.json(o, { headers: { "cache-control": "no-store" } });
    },
    "POST /api/dead/retry": async (req) => {
      if (!ctx.nc) return Response.json({ error: "not connected to NATS yet" }, { status: 503 });
      const body = (await req.json().catch(() => ({}))) as { id?: unknown; all?: unknown };
      if (body.all !== true && typeof body.id !== "string") return Response.json({ error: 'send {"id": "<job id>"} or {"all": true}' }, { status: 400 });
      try {
        const r = await retryDead(ctx.nc, { id: body.all === true ? undefined : (body.id as string), all: body.all === true });
        return Response.json(r);
      } catch (err) {
        return Response.json({ error: (err as Error).message }, { status: err instanceof InputError ? 404 : 500 });
      }
    },
  };
}

async function overview(ctx: WorkerHttpContext, history: Overview["history"], deadCache: DeadCache): Promise<Overview> {
  const stats = ctx.loop?.stats() ?? (ctx.procStats ? sumStats(await ctx.procStats()) : undefined);
  const lag: Overview["lag"] = {};
  if (ctx.jsm) {
    // a consumer gone for a moment leaves its handler out of this sample
    for (const l of await readHandlerLags(ctx.jsm, ctx.handlers).catch(() => [])) lag[l.handler] = { pending: l.pending, ackPending: l.ackPending, lag: l.lag };
  }
  const now = Date.now();
  if (Object.keys(lag).length && (!history.length || now - history[history.length - 1]!.t >= HISTORY.everyMs)) {
    history.push({ t: now, lag: Object.fromEntries(Object.entries(lag).map(([h, l]) => [h, l.lag])) });
    if (history.length > HISTORY.keep) history.splice(0, history.length - HISTORY.keep);
  }
  const dead = ctx.nc ? await recentDead(ctx.nc, DEAD_SHOWN, deadCache).catch(() => ({ total: 0, entries: [] })) : { total: 0, entries: [] };
  const workers = await presence(ctx);
  const me = workers.find((w) => w.id === ctx.workerId)?.info as { state?: string } | undefined;
  return {
    worker: {
      id: ctx.workerId,
      state: stats?.state ?? me?.state ?? (ctx.manager ? (ctx.manager().leader ? "leading" : "standby") : "starting"),
      done: stats?.jobsDone ?? 0,
      failed: stats?.jobsFailed ?? 0,
      retried: stats?.jobsRetried ?? 0,
      inFlight: stats?.inFlight ?? [],
    },
    workers,
    lag,
    history,
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
    ...(ctx.servers ? { servers: ctx.servers() } : {}),
    ...(ctx.manager ? { manager: ctx.manager() } : {}),
    actions: ctx.actions,
    now,
  };
}

// Workers that announce themselves in the presence bucket (DOCCTL_WORKERS, written by supervisors),
// plus this one when it does not (a single proc, --procs 0).
async function presence(ctx: WorkerHttpContext): Promise<Overview["workers"]> {
  const self = { id: ctx.workerId, info: { state: ctx.loop?.stats().state ?? "starting", self: true } as Record<string, unknown> };
  if (!ctx.nc) return [self];
  const out: Overview["workers"] = (await listWorkers(ctx.nc).catch(() => [])).map((w) => ({
    id: w.id,
    info: { state: w.state, host: w.host, pid: w.pid, procs: w.procs.length, in_flight: w.in_flight, version: w.version, ...w.labels },
  }));
  if (!out.some((w) => w.id === ctx.workerId)) out.unshift(self);
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
