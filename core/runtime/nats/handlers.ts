// The fleet's handler list in KV bucket DOCCTL_HANDLERS: workers record what they serve when they start,
// a manager records what it was told up front; submitters read it to tell a typo from a handler that waits.
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from "@nats-io/jetstream";
import { replicasFor } from "./replicas.ts";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { BUCKET_HANDLERS, type HandlerInfoV1 } from "../protocol/handlers.ts";
import { ensureHandlers, knownHandlers, type TopologyOptions } from "./topology.ts";
import { isAlreadyExists } from "./errors.ts";
import { readKvLatest } from "./kv-latest.ts";

export { BUCKET_HANDLERS };

/** Open (or create) the handlers bucket: no TTL, one value per handler. Races between creators are fine. */
export async function handlersBucket(nc: NatsConnection, replicas?: number): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(BUCKET_HANDLERS, { history: 1, replicas: replicasFor(nc, replicas) });
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
  const out: HandlerInfoV1[] = [];
  for (const [key, data] of await readKvLatest(nc, BUCKET_HANDLERS)) {
    try {
      const info = JSON.parse(new TextDecoder().decode(data)) as HandlerInfoV1;
      if (info && typeof info === "object" && info.name === key) out.push(info);
    } catch {
      // a foreign or broken entry: not ours to show
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
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
