// Reading and steering the fleet from outside: list live workers, send control verbs, read per-handler lag.
import type { NatsConnection } from "@nats-io/transport-node";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { STREAM_TASKS, consumerName } from "../protocol/subjects.ts";
import { BUCKET_WORKERS, controlSubject, type ControlReplyV1, type ControlVerb, type PresenceV1 } from "../protocol/control.ts";

/**
 * Every worker with a live presence entry, sorted by id. Reads the bucket's stream with an ordered
 * consumer and bounded waits rather than `kv.keys()`, which can wait forever when an entry expires
 * between its count and its delivery (entries here expire all the time).
 */
export async function listWorkers(nc: NatsConnection): Promise<PresenceV1[]> {
  const out = new Map<string, PresenceV1>();
  const js = jetstream(nc);
  let consumer;
  try {
    consumer = await js.consumers.get(`KV_${BUCKET_WORKERS}`, {
      // a single string: nats-server 2.9 knows only one filter subject per consumer
      filter_subjects: `$KV.${BUCKET_WORKERS}.>`,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
  } catch (err) {
    if (/not found/i.test((err as Error).message)) return [];
    throw err;
  }
  try {
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) break;
      pending = m.info.pending;
      const op = m.headers?.get("KV-Operation");
      if (op === "DEL" || op === "PURGE" || m.data.length === 0) continue;
      try {
        const p = JSON.parse(new TextDecoder().decode(m.data)) as PresenceV1;
        out.set(m.subject.slice(`$KV.${BUCKET_WORKERS}.`.length), p);
      } catch {
        // a foreign or broken entry: not ours to show
      }
    }
  } finally {
    await consumer.delete().catch(() => {});
  }
  return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
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
