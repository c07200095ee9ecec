// The manager's HTTP side (`docctl manager --http ADDR`): /healthz, /metrics (servers by state,
// desired vs actual, decisions and their reasons, provider API errors, why creation stopped) and the
// dashboard with its servers beside the workers. Same Host, Origin and token rules as a worker's.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { NatsHealth } from "../runtime/nats/health.ts";
import { StreamHealth, streamsDetail } from "../runtime/http/stream-health.ts";
import { dashboardRoutes } from "../runtime/http/dashboard.ts";
import { isLoopback, parseAddr, startHttp, type HttpServer } from "../runtime/http/server.ts";
import type { WorkerHttpContext } from "../runtime/http/worker-http.ts";
import { MetricsRegistry } from "../runtime/util/metrics.ts";
import { natsReconnects, processMetrics, queueMetrics } from "../runtime/http/ops-metrics.ts";
import { knownHandlerNames } from "../runtime/nats/handlers.ts";
import type { Manager } from "./manager.ts";
import type { ServerState } from "./readiness.ts";

export interface ManagerHttpOptions {
  addr: string;
  token?: string;
  hosts?: string[];
  manager: Manager;
  nc: NatsConnection;
  version: string;
  /** the manager's tick interval, ms: /healthz fails when no tick ran for 3 of them (plus 30 s) */
  intervalMs: number;
}

const STATES: ServerState[] = ["booting", "ready", "draining", "failed"];

/** Serve the manager's health, metrics and dashboard on `addr`. */
export async function serveManager(o: ManagerHttpOptions): Promise<HttpServer> {
  const { manager, nc } = o;
  const reg = new MetricsRegistry();
  const info = reg.gauge("docctl_manager_info", "This manager: its id, provider and docctl version (always 1).");
  const leader = reg.gauge("docctl_manager_leader", "1 while this manager holds the lease and scales the fleet.");
  const servers = reg.gauge("docctl_manager_servers", "Servers by state: booting (its worker not registered yet), ready (registered: capacity), draining, failed.");
  const desired = reg.gauge("docctl_manager_servers_desired", "Servers the policy wants (ready + booting).");
  const actual = reg.gauge("docctl_manager_servers_actual", "Servers that exist now (booting + ready + draining + failed).");
  const lag = reg.gauge("docctl_manager_lag", "Total lag (jobs waiting + in flight) at the last tick.");
  const decisions = reg.counter("docctl_manager_decisions_total", "Ticks by what was done: up (servers created), down (servers set draining), hold (nothing changed, including a wish to grow while creation is halted).");
  const reason = reg.gauge("docctl_manager_last_decision_info", "The last decision's cause (always 1; cause is one fixed word: backlog, max-full, idle, surplus, steady, billing, cooldown, below-min, above-max). The full reason is in the log and on the dashboard.");
  const lastTick = reg.gauge("docctl_manager_last_successful_tick_seconds", "Unix time of the last tick that listed the servers and decided (leader only).");
  const failedTicks = reg.gauge("docctl_manager_failed_ticks", "Ticks in a row that failed (provider or NATS errors); /healthz fails at --unhealthy-after.");
  const created = reg.counter("docctl_manager_servers_created_total", "Servers this manager created.");
  const deleted = reg.counter("docctl_manager_servers_deleted_total", "Servers this manager deleted (drained after scale-in, or failed).");
  const lost = reg.counter("docctl_manager_servers_lost_total", "Servers that had served and vanished without this manager removing them (deleted by hand, by another manager, or by the provider).");
  const boot = reg.histogram("docctl_manager_boot_duration_seconds", "Time from a server's creation to its worker's registration.", [5, 15, 30, 45, 60, 90, 120, 180, 300, 600]);
  const calls = reg.histogram("docctl_manager_provider_request_duration_seconds", "Duration of provider calls (list, create, delete), retries included, by operation.");
  const providerErrors = reg.counter("docctl_manager_provider_errors_total", "Provider API errors, by code (UNAUTHORIZED, UNPROCESSABLE, RATE_LIMITED, UNAVAILABLE, ...).");
  const bootFailures = reg.gauge("docctl_manager_boot_failures", "Servers in a row whose worker never registered within --boot-timeout.");
  const halted = reg.gauge("docctl_manager_creating_halted", "1 while creation is stopped after repeated boot failures (the reason is in the log and on the dashboard).");
  const connected = reg.gauge("docctl_nats_connected", "1 while the NATS connection is up.");
  info.set({ manager: manager.snapshot().id, provider: manager.snapshot().provider, version: o.version }, 1);
  for (const a of ["up", "down", "hold"]) reg.touch("docctl_manager_decisions_total", { action: a });
  const seen: Record<string, number> = {};
  // counters only go up: add what the manager counted since the last scrape
  const bump = (c: typeof decisions, key: string, labels: Record<string, string>, now: number) => {
    const d = now - (seen[key] ?? 0);
    if (d > 0) c.inc(labels, d);
    seen[key] = now;
  };
  // the same NATS health as the worker's /healthz: lost and reconnecting counts as down
  const health = new NatsHealth(nc);
  const natsUp = () => health.connected;
  // replicas of docctl's streams: gauges, and warnings in the /healthz detail (they do not fail it)
  const streams = new StreamHealth(() => nc);
  streams.gauges(reg);
  reg.collect(() => {
    const s = manager.snapshot();
    leader.set({}, s.leader ? 1 : 0);
    // while the provider cannot be listed the servers are unknown: no value rather than a false 0
    servers.reset();
    actual.reset();
    if (s.serversKnown) {
      for (const st of STATES) servers.set({ state: st }, s.servers[st]);
      actual.set({}, STATES.reduce((n, st) => n + s.servers[st], 0));
    }
    if (s.desired !== null) desired.set({}, s.desired);
    if (s.lastSuccessfulTick !== null) lastTick.set({}, s.lastSuccessfulTick / 1000);
    failedTicks.set({}, s.failedTicks);
    bump(created, "created", {}, s.created);
    bump(deleted, "deleted", {}, s.deleted);
    bump(lost, "lost", {}, s.lost);
    const m = manager.takeMeasures();
    for (const b of m.boots) boot.observe({ provider: s.provider }, b);
    for (const c of m.calls) calls.observe({ op: c.op }, c.seconds);
    if (s.lag !== null) lag.set({}, s.lag);
    for (const [a, n] of Object.entries(s.decisions)) bump(decisions, `d:${a}`, { action: a }, n);
    reason.reset();
    if (s.lastCause) reason.set({ cause: s.lastCause }, 1);
    for (const [code, n] of Object.entries(s.providerErrors)) bump(providerErrors, `e:${code}`, { code }, n);
    bootFailures.set({}, s.bootFailures);
    halted.set({}, s.halted ? 1 : 0);
    connected.set({}, natsUp() ? 1 : 0);
  });

  processMetrics(reg);
  natsReconnects(reg, nc);
  // per-handler depth from the manager too: with the fleet at zero no worker exports it
  queueMetrics(reg, { jsm: () => ctx.jsm, handlers: () => knownHandlerNames(nc), depth: true });

  const loopback = isLoopback(parseAddr(o.addr).hostname);
  const ctx: WorkerHttpContext = {
    nc,
    handlers: [],
    workerId: manager.snapshot().id,
    metrics: reg,
    actions: o.token ? "token" : loopback ? "open" : "disabled",
    servers: () => manager.snapshot().list,
    manager: () => {
      const s = manager.snapshot();
      return { id: s.id, provider: s.provider, leader: s.leader, desired: s.desired, lastReason: s.lastReason, halted: s.halted };
    },
  };
  void jetstreamManager(nc).then((jsm) => (ctx.jsm = jsm), () => {});
  const dash = dashboardRoutes(ctx);
  return await startHttp({
    addr: o.addr,
    token: o.token,
    hosts: o.hosts,
    metrics: reg,
    health: () => {
      const s = manager.snapshot();
      const age = Date.now() - s.at;
      const ticking = age < 3 * o.intervalMs + 30_000;
      const failing = s.failedTicks >= s.unhealthyAfter;
      const ok = natsUp() && ticking && !failing;
      const reason = !natsUp() ? "NATS is not connected" : !ticking ? `no tick for ${Math.round(age / 1000)}s` : failing ? `${s.failedTicks} ticks in a row failed: ${s.lastError}` : undefined;
      return {
        ok,
        detail: {
          manager: s.id, nats: health.state().state, leader: s.leader, last_tick_ms_ago: age, halted: s.halted,
          failed_ticks: s.failedTicks, last_successful_tick: s.lastSuccessfulTick === null ? null : new Date(s.lastSuccessfulTick).toISOString(),
          ...(reason ? { reason } : {}),
          ...streamsDetail(streams),
        },
      };
    },
    routes: {
      ...dash,
      "GET /api/overview": (req, url, info) => {
        ctx.handlers = manager.last?.lag?.handlers.map((h) => h.handler) ?? [];
        return dash["GET /api/overview"]!(req, url, info);
      },
    },
  });
}
