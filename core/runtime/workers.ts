// Reading and steering the fleet from outside: list live workers, send control verbs, read per-handler lag.
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { STREAM_TASKS, consumerName } from "./subjects.ts";
import { BUCKET_WORKERS, controlSubject, type ControlReplyV1, type ControlVerb, type PresenceV1 } from "./control.ts";

/** Every worker with a live presence entry, sorted by id. */
export async function listWorkers(nc: NatsConnection): Promise<PresenceV1[]> {
  const out: PresenceV1[] = [];
  try {
    const kv = await new Kvm(nc).open(BUCKET_WORKERS);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    for (const k of keys) {
      const e = await kv.get(k);
      if (!e || e.operation !== "PUT" || e.length === 0) continue;
      try {
        out.push(JSON.parse(e.string()) as PresenceV1);
      } catch {
        // a foreign or broken entry: not ours to show
      }
    }
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Raised when no worker answers a control request. */
export class NoSuchWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoSuchWorkerError";
  }
}

/**
 * Send `verb` to worker `id`, or to every worker with id "all" (replies gathered until none came for
 * a moment). Resolves with the replies; throws NoSuchWorkerError when a named worker does not answer.
 */
export async function controlWorkers(nc: NatsConnection, id: string, verb: ControlVerb, timeoutMs = 3000): Promise<ControlReplyV1[]> {
  const subject = controlSubject(id, verb);
  if (id === "all") {
    try {
      const replies: ControlReplyV1[] = [];
      const it = await nc.requestMany(subject, "", { strategy: "stall", stall: 300, maxWait: timeoutMs });
      for await (const m of it) {
        if (m.data.length) replies.push(m.json<ControlReplyV1>());
      }
      return replies;
    } catch (err) {
      if (/no responders/i.test((err as Error).message)) return [];
      throw err;
    }
  }
  try {
    const m = await nc.request(subject, "", { timeout: timeoutMs });
    return [m.json<ControlReplyV1>()];
  } catch (err) {
    const msg = (err as Error).message;
    if (/no responders|timeout|TIMEOUT/i.test(msg) || (err as Error).name === "NoRespondersError" || (err as Error).name === "TimeoutError") {
      const known = (await listWorkers(nc).catch(() => [])).map((w) => w.id);
      throw new NoSuchWorkerError(
        `no worker "${id}" answers on ${subject}. ` + (known.length ? `Live workers: ${known.join(", ")}.` : "No worker is live (docctl status shows them)."),
      );
    }
    throw err;
  }
}

/** Lag of one handler: jobs waiting plus jobs delivered and not yet acked, on consumer docctl-<handler>. */
export interface HandlerLag {
  handler: string;
  pending: number;
  ackPending: number;
  lag: number;
}

/** Lag of every handler that has a consumer on DOCCTL_TASKS. */
export async function handlerLags(nc: NatsConnection): Promise<HandlerLag[]> {
  const jsm = await jetstreamManager(nc);
  const out: HandlerLag[] = [];
  try {
    for await (const ci of jsm.consumers.list(STREAM_TASKS)) {
      const handler = ci.name.slice(consumerName("").length);
      if (consumerName(handler) !== ci.name || !handler) continue;
      out.push({ handler, pending: ci.num_pending, ackPending: ci.num_ack_pending, lag: ci.num_pending + ci.num_ack_pending });
    }
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
  }
  return out.sort((a, b) => a.handler.localeCompare(b.handler));
}
