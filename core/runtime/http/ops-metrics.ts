// Metrics every long-running docctl process exposes beside its own: process_* (memory, CPU, open
// files), NATS reconnects, and the fleet-wide queue facts (oldest job's age, dead-letter backlog,
// delayed jobs, schedules, paused handlers, per-handler depth) read from JetStream at most every few
// seconds, so a fleet at zero still has them from whichever process runs (the manager).
import { readdirSync } from "node:fs";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { MetricsRegistry } from "../util/metrics.ts";
import { readHandlerLags } from "../client/lag.ts";
import { deadBacklog, delayedCount, handlerPaused, oldestJobAge, scheduleCount } from "./queue-facts.ts";

/** process_* in the names Prometheus's own client libraries use, so standard dashboards work. */
export function processMetrics(reg: MetricsRegistry): void {
  const rss = reg.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
  const heap = reg.gauge("process_heap_bytes", "JavaScript heap in use, bytes.");
  const cpu = reg.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
  const fds = reg.gauge("process_open_fds", "Number of open file descriptors.");
  const start = reg.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.");
  start.set({}, Math.round((Date.now() - process.uptime() * 1000) / 1000));
  let lastCpu = 0;
  reg.collect(() => {
    const m = process.memoryUsage();
    rss.set({}, m.rss);
    heap.set({}, m.heapUsed);
    const u = process.cpuUsage();
    const total = (u.user + u.system) / 1e6;
    if (total > lastCpu) cpu.inc({}, total - lastCpu);
    lastCpu = total;
    try {
      fds.set({}, readdirSync("/proc/self/fd").length);
    } catch {
      /* not Linux: no fd count */
    }
  });
}

/** Counts reconnects of `nc` from its status events (docctl_nats_reconnects_total). */
export function natsReconnects(reg: MetricsRegistry, nc: NatsConnection): void {
  const c = reg.counter("docctl_nats_reconnects_total", "Times the NATS connection was lost and made again.");
  reg.touch("docctl_nats_reconnects_total", {});
  void (async () => {
    for await (const s of nc.status()) if (s.type === "reconnect") c.inc({});
  })().catch(() => {}); // the status iterator ends with the connection: no more reconnects to count
}

export interface QueueMetricsOptions {
  jsm: () => JetStreamManager | undefined;
  handlers: () => string[] | Promise<string[]>;
  /** also export docctl_queue_lag / _pending / _ack_pending per handler (the manager: no worker may run) */
  depth?: boolean;
  /** re-read at most this often, ms (a scrape in between answers from the last reading) */
  everyMs?: number;
}

/** Fleet-wide queue gauges, read from JetStream. */
export function queueMetrics(reg: MetricsRegistry, o: QueueMetricsOptions): void {
  const oldest = reg.gauge("docctl_queue_oldest_age_seconds", "Age of the oldest job of a handler still in the task queue (waiting or in flight), seconds; 0 when empty.");
  const dead = reg.gauge("docctl_dead_letters", "Dead letters kept, per handler: jobs failed for good that can be retried (docctl dead ls).");
  const delayed = reg.gauge("docctl_delayed_jobs", "Delayed jobs waiting for their run_at.");
  const schedules = reg.gauge("docctl_schedules", "Schedules stored.");
  const paused = reg.gauge("docctl_handler_paused", "1 while deliveries of a handler are paused on the server (its consumer is paused).");
  const depth = o.depth
    ? {
        lag: reg.gauge("docctl_queue_lag", "Jobs of a handler waiting or in flight anywhere (the consumer's pending + ack pending): what the scaler reads."),
        pending: reg.gauge("docctl_queue_pending", "Jobs of a handler waiting to be delivered."),
        ack: reg.gauge("docctl_queue_ack_pending", "Jobs of a handler delivered to some worker and not yet acked."),
      }
    : undefined;
  let at = 0;
  reg.collect(async () => {
    const jsm = o.jsm();
    if (!jsm || Date.now() - at < (o.everyMs ?? 5_000)) return;
    at = Date.now();
    const handlers = await o.handlers();
    const limit = <T>(p: Promise<T>) => {
      let t: ReturnType<typeof setTimeout> | undefined;
      return Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error("JetStream did not answer in 2 s")), 2_000)))]).finally(() => clearTimeout(t));
    };
    const [backlog, nDelayed, nSchedules] = await Promise.all([limit(deadBacklog(jsm)), limit(delayedCount(jsm)), limit(scheduleCount(jsm))]);
    dead.reset();
    for (const h of handlers) dead.set({ handler: h }, 0);
    for (const [h, n] of Object.entries(backlog)) dead.set({ handler: h }, n);
    delayed.set({}, nDelayed);
    schedules.set({}, nSchedules);
    await Promise.all(
      handlers.map(async (h) => {
        // best effort for a scrape: 0 when the oldest job cannot be read within the limit
        oldest.set({ handler: h }, await limit(oldestJobAge(jsm, h)).catch(() => 0));
        paused.set({ handler: h }, (await limit(handlerPaused(jsm, h)).catch(() => ({ paused: false }))).paused ? 1 : 0);
      }),
    );
    if (depth) {
      for (const l of await limit(readHandlerLags(jsm, handlers))) {
        depth.lag.set({ handler: l.handler }, l.lag);
        depth.pending.set({ handler: l.handler }, l.pending);
        depth.ack.set({ handler: l.handler }, l.ackPending);
      }
    }
  });
}
