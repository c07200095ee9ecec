// The fleet's handler list in KV bucket DOCCTL_HANDLERS: workers record what they serve when they start,
// a manager records what it was told up front; submitters read it to tell a typo from a handler that waits.
import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { BUCKET_HANDLERS, type HandlerInfoV1 } from "../protocol/handlers.ts";
import { ensureHandlers, knownHandlers, type TopologyOptions } from "./topology.ts";
import { isNotFound, isAlreadyExists } from "./errors.ts";

export { BUCKET_HANDLERS };

/** Open (or create) the handlers bucket: no TTL, one value per handler. Races between creators are fine. */
export async function handlersBucket(nc: NatsConnection, replicas = 1): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(BUCKET_HANDLERS, { history: 1, replicas });
  } catch (err) {
    if (isAlreadyExists(err)) return await kvm.open(BUCKET_HANDLERS);
    throw err;
  }
}

/**
 * Record `infos`. `ifAbsent`: only where no entry exists (a manager declaring names must not replace
 * the description and schema a worker wrote).
 */
export async function recordHandlers(nc: NatsConnection, infos: HandlerInfoV1[], opts: { ifAbsent?: boolean; replicas?: number } = {}): Promise<void> {
  if (!infos.length) return;
  const kv = await handlersBucket(nc, opts.replicas);
  for (const info of infos) {
    const value = JSON.stringify(info);
    if (!opts.ifAbsent) {
      await kv.put(info.name, value);
      continue;
    }
    try {
      await kv.create(info.name, value);
    } catch (err) {
      // wrong last sequence: an entry is there already, which is what ifAbsent keeps
      const exists = err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === 10164);
      if (!exists) throw err;
    }
  }
}

/** Every recorded handler, sorted by name; [] when the bucket does not exist yet. */
export async function readHandlers(nc: NatsConnection): Promise<HandlerInfoV1[]> {
  const out = new Map<string, HandlerInfoV1>();
  const js = jetstream(nc);
  let consumer;
  try {
    // An ordered read of the bucket's stream with bounded waits, as listWorkers does (kv.keys() can hang).
    consumer = await js.consumers.get(`KV_${BUCKET_HANDLERS}`, { filter_subjects: `$KV.${BUCKET_HANDLERS}.>`, deliver_policy: DeliverPolicy.LastPerSubject });
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  try {
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) break;
      pending = m.info.pending;
      const op = m.headers?.get("KV-Operation");
      const key = m.subject.slice(`$KV.${BUCKET_HANDLERS}.`.length);
      if (op === "DEL" || op === "PURGE" || m.data.length === 0) {
        out.delete(key);
        continue;
      }
      try {
        const info = JSON.parse(new TextDecoder().decode(m.data)) as HandlerInfoV1;
        if (info && typeof info === "object" && info.name === key) out.set(key, info);
      } catch {
        // a foreign or broken entry: not ours to show
      }
    }
  } finally {
    await consumer.delete().catch(() => {});
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Names of every handler the fleet knows: recorded in DOCCTL_HANDLERS or with a consumer on the tasks
 * stream (workers from before the bucket existed made only the consumer). Sorted.
 */
export async function knownHandlerNames(nc: NatsConnection): Promise<string[]> {
  const recorded = await readHandlers(nc).catch(() => [] as HandlerInfoV1[]);
  const consumers = await knownHandlers(await jetstreamManager(nc));
  return [...new Set([...recorded.map((h) => h.name), ...consumers])].sort();
}

/**
 * Make `infos` known before any worker serving them has started: their consumers (so jobs can be
 * submitted and their lag seen) and their entries (without replacing what a worker recorded).
 * What lets a manager scale a fleet up from zero on a fresh NATS.
 */
export async function declareHandlers(nc: NatsConnection, infos: HandlerInfoV1[], o: Partial<TopologyOptions> = {}): Promise<void> {
  await ensureHandlers(nc, infos.map((i) => i.name), o);
  await recordHandlers(nc, infos, { ifAbsent: true, replicas: o.replicas });
}
