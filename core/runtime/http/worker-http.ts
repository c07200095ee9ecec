// A worker's HTTP side: /metrics (its counters, jobs in flight, lag per handler read from the
// consumers), /healthz, and the dashboard. Started before the loop so a bad --http fails fast.
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { isLoopback, parseAddr, startHttp, type HttpServer, type RouteHandler } from "./server.ts";
import { MetricsRegistry, WorkerMetrics } from "../util/metrics.ts";
import { LagCache } from "../client/lag-cache.ts";
import { NatsHealth } from "../nats/health.ts";
import { StreamHealth, streamsDetail } from "./stream-health.ts";
import { mergeExpositions } from "./metrics-merge.ts";
import type { LoopStats, WorkerLoop } from "../worker/loop.ts";
import { listWorkers } from "../client/fleet.ts";
import { natsReconnects, processMetrics, queueMetrics } from "./ops-metrics.ts";

export interface WorkerHttpOptions {
  addr: string;
  token?: string;
  /** names the server is reached by besides its address (--http-host) */
  hosts?: string[];
  workerId: string;
  version: string;
  /** extra routes (the dashboard adds its own) */
  routes?: (ctx: WorkerHttpContext) => Record<string, RouteHandler>;
  /**
   * A supervisor's procs, each serving its own /metrics and /healthz on loopback: /metrics then adds
   * their job counters with a `proc` label, and /healthz is ok while NATS is up and some proc is.
   */
  children?: () => { name: string; url: string }[];
  /** a supervisor's proc: its /metrics are merged by the supervisor, which exports the fleet and process gauges */
  proc?: boolean;
}

/** What the routes can reach once the loop runs. */
export interface WorkerHttpContext {
  loop?: WorkerLoop;
  nc?: NatsConnection;
  jsm?: JetStreamManager;
  handlers: string[];
  workerId: string;
  metrics: MetricsRegistry;
  /** a supervisor's procs' loop stats (undefined for a single proc: read `loop`) */
  procStats?: () => Promise<LoopStats[]>;
  /** whether actions (POST routes) are open, need the token, or are off (beyond loopback without a token) */
  actions: "open" | "token" | "disabled";
  /** a manager's servers, shown beside the workers */
  servers?: () => ServerRow[];
  /** a manager's state line (leader, desired, why creation stopped) */
  manager?: () => ManagerRow;
}

/** One server of a manager's fleet, as the dashboard shows it. */
export interface ServerRow {
  id: string;
  name: string;
  workerId: string;
  /** booting, ready (its worker registered), draining, failed */
  state: string;
  why: string;
  createdAt: number;
}

/** A manager as the dashboard shows it. */
export interface ManagerRow {
  id: string;
  provider: string;
  leader: boolean;
  desired: number | null;
  lastReason: string;
  halted: string | null;
}

export interface WorkerHttp {
  server: HttpServer;
  /** hand to WorkerLoop as `metrics` */
  metrics: WorkerMetrics;
  /** call once the loop pulls */
  attach(loop: WorkerLoop | undefined, nc: NatsConnection, handlers: string[]): void;
  stop(): Promise<void>;
}

/** Serve a worker's metrics and health on `addr`. */
export async function serveWorker(o: WorkerHttpOptions): Promise<WorkerHttp> {
  const registry = new MetricsRegistry();
  const metrics = new WorkerMetrics(o.children ? new MetricsRegistry() : registry);
  const loopback = isLoopback(parseAddr(o.addr).hostname);
  const actions = o.token ? "token" : loopback ? "open" : "disabled";
  const ctx: WorkerHttpContext = { handlers: [], workerId: o.workerId, metrics: registry, actions };
  const info = registry.gauge("docctl_worker_info", "This worker: its id and docctl version (always 1).");
  info.set({ worker: o.workerId, version: o.version }, 1);
  // A supervisor's job metrics are its procs': it declares none of its own (no family twice).
  const inFlight = o.children ? undefined : registry.gauge("docctl_jobs_in_flight", "Jobs running in this worker now.");
  const lag = registry.gauge("docctl_queue_lag", "Jobs of a handler waiting or in flight anywhere (the consumer's pending + ack pending): what the scaler reads.");
  const pending = registry.gauge("docctl_queue_pending", "Jobs of a handler waiting to be delivered.");
  const ackPending = registry.gauge("docctl_queue_ack_pending", "Jobs of a handler delivered to some worker and not yet acked.");
  const lagAge = registry.gauge("docctl_queue_lag_age_seconds", "Seconds since the queue gauges were last read from JetStream (they keep their last good values while NATS is away).");
  const up = registry.gauge("docctl_nats_connected", "1 while the NATS connection is up (0 while it is lost and reconnecting).");
  if (!o.proc) {
    processMetrics(registry);
    queueMetrics(registry, { jsm: () => ctx.jsm, handlers: () => ctx.handlers });
    procMetrics(registry, () => ctx.nc, o.workerId);
  }
  // NATS health from the connection's status events (a reconnecting client is not "closed").
  let health: NatsHealth | undefined;
  const connected = () => Boolean(ctx.nc && health?.connected);
  // Lag read per scrape with a short limit, and kept: while NATS is away (or slow) a scrape answers
  // at once from the last good reading instead of waiting for JetStream and dropping the gauges.
  // replicas of docctl's streams: gauges, and warnings in the /healthz detail (they do not fail it)
  const streams = new StreamHealth(() => ctx.nc);
  streams.gauges(registry);
  const lags = new LagCache(() => ctx.jsm, () => ctx.handlers, { intervalMs: 0, timeoutMs: 1_000 });
  registry.collect(async () => {
    if (connected()) await lags.refresh();
    const counts = new Map(ctx.handlers.map((h) => [h, 0]));
    for (const j of ctx.loop?.stats().inFlight ?? []) counts.set(j.handler, (counts.get(j.handler) ?? 0) + 1);
    if (inFlight) for (const [handler, n] of counts) inFlight.set({ handler }, n);
    up.set({}, connected() ? 1 : 0);
    const { lags: last, at } = lags.get();
    for (const l of last) {
      pending.set({ handler: l.handler }, l.pending);
      ackPending.set({ handler: l.handler }, l.ackPending);
      lag.set({ handler: l.handler }, l.lag);
    }
    if (at) lagAge.set({}, Math.round((Date.now() - at) / 100) / 10);
  });
  const children = o.children;
  /** each proc's last /metrics text, by its address */
  const lastScrape = new Map<string, string>();
  if (children) {
    ctx.procStats = async () =>
      // a proc whose answer is not JSON (ending, restarting) is left out of this reading
      (await Promise.all(children().map(async (c) => (await (await get(`${c.url}/api/stats`))?.json().catch(() => null)) as LoopStats | null))).filter(
        (s): s is LoopStats => Boolean(s),
      );
  }
  const server = await startHttp({
    addr: o.addr,
    token: o.token,
    hosts: o.hosts,
    metrics: registry,
    health: async () => {
      const nats = health?.state().state ?? "connecting";
      if (children) {
        // A proc whose loop is stuck does not answer within the second: it does not count as serving.
        const procs = await Promise.all(children().map(async (c) => ({ proc: c.name, ok: (await get(`${c.url}/healthz`))?.ok ?? false })));
        const serving = procs.some((p) => p.ok);
        const why = !connected() ? `NATS ${nats}` : !serving ? "no proc can serve" : undefined;
        return { ok: connected() && serving, detail: { worker: o.workerId, nats, procs, ...(why ? { why } : {}), ...streamsDetail(streams) } };
      }
      const state = ctx.loop?.stats().state ?? "starting";
      const ok = connected() && (state === "running" || state === "paused");
      return { ok, detail: { worker: o.workerId, state, nats, ...(ok ? {} : { why: !connected() ? `NATS ${nats}` : `loop ${state}` }), ...streamsDetail(streams) } };
    },
    routes: {
      // a proc's loop and memory, for its supervisor's dashboard
      "GET /api/stats": () => Response.json(ctx.loop ? { ...ctx.loop.stats(), rss: process.memoryUsage().rss, pid: process.pid } : null),
      ...o.routes?.(ctx),
      ...(children
        ? {
            "GET /metrics": async () => {
              const now = children();
              for (const url of lastScrape.keys()) if (!now.some((c) => c.url === url)) lastScrape.delete(url);
              const parts = await Promise.all(
                now.map(async (c) => {
                  // a body cut off (the proc ended mid-answer): its last answer stands in, as for no answer
                  const text = await (await get(`${c.url}/metrics`))?.text().catch(() => undefined);
                  if (text !== undefined) lastScrape.set(c.url, text);
                  // A proc that does not answer within the second (its event loop blocked by a job, a
                  // loaded machine): its last answer, so its counters do not drop out of this scrape and
                  // come back (Prometheus would see gaps in every rate of its handlers).
                  return { proc: c.name, text: text ?? lastScrape.get(c.url) ?? "" };
                }),
              );
              // The procs' job counters and in-flight gauges; queue and connection gauges come from here.
              const text = (await registry.render()) + mergeExpositions(parts, (f) => /^docctl_jobs?_/.test(f));
              return new Response(text, { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
            },
          }
        : {}),
    },
  });
  return {
    server,
    metrics,
    attach(loop, nc, handlers) {
      Object.assign(ctx, { loop, nc, handlers });
      health = new NatsHealth(nc);
      if (!o.proc) natsReconnects(registry, nc);
      void jetstreamManager(nc).then((jsm) => {
        ctx.jsm = jsm;
      }, () => {});
    },
    stop: () => {
      lags.stop();
      health?.stop();
      return server.stop();
    },
  };
}

// A proc's endpoint, or undefined when it does not answer within a second (starting, restarting).
async function get(url: string): Promise<Response | undefined> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(1000) });
  } catch {
    return undefined; // no answer within 1 s (refused, timed out): the caller shows the worker as unreachable
  }
}

// This worker's procs from its presence entry: how many in each state (FATAL among them), restarts,
// and whether the worker is paused. Read at most every 5 s.
function procMetrics(reg: MetricsRegistry, nc: () => NatsConnection | undefined, workerId: string): void {
  const procs = reg.gauge("docctl_procs", "This worker's procs by state (STARTING, RUNNING, DRAINING, BACKOFF, FATAL, STOPPED).");
  const restarts = reg.counter("docctl_proc_restarts_total", "Restarts of each proc since the worker started.");
  const kills = reg.counter("docctl_proc_watchdog_kills_total", "Children of each proc the watchdog killed (SIGKILL) since the worker started.");
  const paused = reg.gauge("docctl_worker_paused", "1 while this worker is paused (pulls nothing; docctl pause / the dashboard).");
  const stale = reg.gauge("docctl_worker_presence_age_seconds", "Seconds since this worker's presence entry was last rewritten (stale past 12 s).");
  const seen = new Map<string, number>();
  let at = 0;
  reg.collect(async () => {
    const c = nc();
    if (!c || Date.now() - at < 5_000) return;
    at = Date.now();
    const me = (await listWorkers(c)).find((w) => w.id === workerId);
    if (!me) return;
    procs.reset();
    for (const st of ["RUNNING", "FATAL"]) procs.set({ state: st }, 0);
    for (const p of me.procs) procs.set({ state: p.state }, me.procs.filter((q) => q.state === p.state).length);
    for (const p of me.procs) {
      const d = p.restarts - (seen.get(p.name) ?? 0);
      if (d > 0) restarts.inc({ proc: p.name }, d);
      else reg.touch("docctl_proc_restarts_total", { proc: p.name });
      seen.set(p.name, p.restarts);
      const k = (p.watchdog_kills ?? 0) - (seen.get(`k:${p.name}`) ?? 0);
      if (k > 0) kills.inc({ proc: p.name }, k);
      else reg.touch("docctl_proc_watchdog_kills_total", { proc: p.name });
      seen.set(`k:${p.name}`, p.watchdog_kills ?? 0);
    }
    paused.set({}, me.state === "paused" ? 1 : 0);
    stale.set({}, Math.max(0, (Date.now() - me.updated_at) / 1000));
  });
}
