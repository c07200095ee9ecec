// The latest value of every key of a KV bucket, read through the bucket's stream with an ordered
// consumer and bounded waits rather than `kv.keys()`, which can wait forever when an entry expires
// between its count and its delivery (presence entries expire all the time).
import type { NatsConnection } from "@nats-io/transport-node";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { isNotFound } from "./errors.ts";

/** How long a read of a whole bucket may take before it fails, ms. */
export const KV_READ_TIMEOUT_MS = 10_000;

/** Raised when a bucket's entries could not all be read in time: a partial map is never returned. */
export class KvReadTimeoutError extends Error {
  readonly code = "KV_READ_TIMEOUT";
  constructor(
    readonly bucket: string,
    readonly remaining: number,
    timeoutMs: number,
  ) {
    super(
      `reading KV bucket ${bucket}: ${remaining} of its latest values (entries or delete markers) still not delivered after ${timeoutMs}ms ` +
        `(the NATS server is slow or overloaded; try again, or check the server with nats-server's /jsz)`,
    );
    this.name = "KvReadTimeoutError";
  }
}

/**
 * key → latest value bytes of every live key (deleted and purged keys left out); empty when the bucket
 * does not exist. Throws KvReadTimeoutError when entries the server still counts are not delivered
 * within `timeoutMs`.
 */
export async function readKvLatest(nc: NatsConnection, bucket: string, timeoutMs = KV_READ_TIMEOUT_MS): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const prefix = `$KV.${bucket}.`;
  const deadline = Date.now() + timeoutMs;
  let consumer;
  try {
    consumer = await jetstream(nc).consumers.get(`KV_${bucket}`, {
      // a single string: nats-server 2.9 knows only one filter subject per consumer
      filter_subjects: `${prefix}>`,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
  } catch (err) {
    if (isNotFound(err)) return out;
    throw err;
  }
  try {
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      // short pulls: an entry counted at the start may expire before it is delivered (presence
      // entries do), and that is only noticed when a pull comes back empty
      const m = await consumer.next({ expires: 1000 });
      if (!m) {
        // The pull expired with nothing delivered. That is not "no more entries": a slow or busy
        // server (or a paused consumer) answers the same way, and stopping here returned a partial
        // map (a live worker missing from `docctl handlers`). Only the server's count tells: 0 means
        // the entries left meanwhile (expired, deleted), more means ask again until the deadline.
        pending = (await consumer.info()).num_pending;
        if (pending > 0 && Date.now() >= deadline) throw new KvReadTimeoutError(bucket, pending, timeoutMs);
        continue;
      }
      pending = m.info.pending;
      const key = m.subject.slice(prefix.length);
      const op = m.headers?.get("KV-Operation");
      if (op === "DEL" || op === "PURGE" || m.data.length === 0) out.delete(key);
      else out.set(key, m.data);
    }
  } finally {
    // an ordered (ephemeral) consumer: if the delete fails the server drops it after its inactivity threshold
    await consumer.delete().catch(() => {});
  }
  return out;
}
