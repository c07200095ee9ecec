// The handlers known to the fleet with what serves them: DOCCTL_HANDLERS entries, the live workers whose
// presence names them, and their consumers' lag and last activity. `docctl handlers` and `status` read this.
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type ConsumerInfo } from "@nats-io/jetstream";
import { readHandlers } from "../nats/handlers.ts";
import { isNotFound } from "../nats/errors.ts";
import type { PresenceV1 } from "../protocol/control.ts";
import type { HandlerInfoV1 } from "../protocol/handlers.ts";
import { STREAM_TASKS } from "../protocol/subjects.ts";
import { listWorkers } from "./fleet.ts";
import { consumerLag, handlerOfConsumer } from "./lag.ts";

/** One handler as the fleet knows it. */
export interface HandlerOverview {
  name: string;
  description?: string;
  schema?: Record<string, unknown>;
  /** who recorded it ("worker", "manager"), or "consumer" for a consumer with no DOCCTL_HANDLERS entry */
  source: HandlerInfoV1["source"] | "consumer";
  registered_by?: string;
  /** ms since epoch of the entry's last write, null without an entry */
  updated_at: number | null;
  /** ids of the live workers serving it, sorted */
  workers: string[];
  /** jobs waiting, jobs in flight, their sum (0 without a consumer) */
  pending: number;
  in_flight: number;
  lag: number;
  /** whether its consumer docctl-<name> exists */
  consumer: boolean;
  /** ms since epoch of the last delivery or ack on its consumer, else the consumer's creation; null without one */
  last_active: number | null;
}

/** The job types a live worker serves: its presence's `handlers`, plus what its dedicated procs serve. */
export function servedBy(w: PresenceV1): string[] {
  return [...new Set([...(w.handlers ?? []), ...w.procs.map((p) => p.handler).filter((h): h is string => !!h)])];
}

/** Every handler known to the fleet, sorted by name. */
export async function handlerOverview(nc: NatsConnection): Promise<HandlerOverview[]> {
  const [infos, workers, consumers] = await Promise.all([readHandlers(nc), listWorkers(nc), handlerConsumers(nc)]);
  return overviewOf(infos, workers, consumers);
}

/** The overview from its parts (pure). */
export function overviewOf(infos: HandlerInfoV1[], workers: PresenceV1[], consumers: ConsumerInfo[]): HandlerOverview[] {
  const out = new Map<string, HandlerOverview>();
  const blank = (name: string): HandlerOverview => ({
    name, source: "consumer", updated_at: null, workers: [], pending: 0, in_flight: 0, lag: 0, consumer: false, last_active: null,
  });
  for (const i of infos) {
    out.set(i.name, {
      ...blank(i.name),
      ...(i.description ? { description: i.description } : {}),
      ...(i.schema ? { schema: i.schema } : {}),
      source: i.source,
      registered_by: i.registered_by,
      updated_at: i.updated_at,
    });
  }
  // A handler's consumers: docctl-<h>, and docctl_high-<h> / docctl_low-<h> for priorities; their counts add up.
  for (const ci of consumers) {
    const name = handlerOfConsumer(ci.name);
    if (!name) continue;
    const h = out.get(name) ?? blank(name);
    h.consumer = true;
    const l = consumerLag(name, ci);
    h.pending += l.pending;
    h.in_flight += l.ackPending;
    h.lag += l.lag;
    const times = [ci.created, ci.delivered?.last_active, ci.ack_floor?.last_active].map(toMs).filter((t): t is number => t !== null);
    if (h.last_active !== null) times.push(h.last_active);
    h.last_active = times.length ? Math.max(...times) : null;
    out.set(name, h);
  }
  for (const w of workers) {
    for (const name of servedBy(w)) {
      const h = out.get(name) ?? blank(name);
      h.workers.push(w.id);
      out.set(name, h);
    }
  }
  for (const h of out.values()) h.workers.sort();
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Whether `h` is forgotten: nothing waiting or in flight, no live worker, and no sign of life (entry
 * written, consumer created or active) for longer than `retentionMs`. `status` leaves such handlers out.
 */
export function isForgotten(h: HandlerOverview, now: number, retentionMs: number): boolean {
  if (h.lag > 0 || h.workers.length > 0) return false;
  const seen = Math.max(h.updated_at ?? 0, h.last_active ?? 0);
  return now - seen > retentionMs;
}

/** The consumers of handlers on the tasks stream (every priority). */
async function handlerConsumers(nc: NatsConnection): Promise<ConsumerInfo[]> {
  const jsm = await jetstreamManager(nc);
  const out: ConsumerInfo[] = [];
  try {
    for await (const ci of jsm.consumers.list(STREAM_TASKS)) {
      if (handlerOfConsumer(ci.name)) out.push(ci);
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return out;
}

// The server sends RFC 3339 times (the client's type says nanoseconds); "0001-01-01..." means never.
function toMs(t: unknown): number | null {
  if (typeof t === "string") {
    const ms = Date.parse(t);
    return Number.isFinite(ms) && ms > 0 ? ms : null;
  }
  if (typeof t === "number" && t > 0) return Math.floor(t / 1e6);
  return null;
}
