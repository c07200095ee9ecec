// The latest value of every key of a KV bucket, read through the bucket's stream with an ordered
// consumer and bounded waits rather than `kv.keys()`, which can wait forever when an entry expires
// between its count and its delivery (presence entries expire all the time).
import type { NatsConnection } from "@nats-io/transport-node";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { isNotFound } from "./errors.ts";

/** key → latest value bytes of every live key (deleted and purged keys left out); empty when the bucket does not exist. */
export async function readKvLatest(nc: NatsConnection, bucket: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const prefix = `$KV.${bucket}.`;
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
      const m = await consumer.next({ expires: 1000 });
      if (!m) break;
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
