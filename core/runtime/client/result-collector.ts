// Reading results back: every result of a batch as it is stored, or the stored result of one job.
import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { decodeResult, type ResultV1 } from "../protocol/codec.ts";
import { STREAM_RESULTS, batchResults, resultOfAnyBatch } from "../protocol/subjects.ts";

/** Hands every result of `batch` to `accept` (those stored before too) until stopped. */
export async function collect(js: JetStreamClient, batch: string, accept: (r: ResultV1) => void): Promise<{ stop(): void }> {
  const consumer = await js.consumers.get(STREAM_RESULTS, { filter_subjects: batchResults(batch), deliver_policy: DeliverPolicy.All });
  // Short pulls: after a reconnect the client checks the consumer and, when JetStream is not answering
  // yet (a server just restarted), waits `expires` before checking again; with the default (30 s) a
  // server restart stalled the results for half a minute. 2 s pulls cost one request per 2 s idle.
  const messages = await consumer.consume({ max_messages: 256, expires: 2_000 });
  const loop = (async () => {
    for await (const m of messages) {
      let r: ResultV1;
      try {
        r = decodeResult(m.data);
      } catch {
        continue; /* a foreign message on a results subject: not ours to read */
      }
      accept(r);
    }
  })();
  return {
    stop() {
      // closing a consume whose connection is already gone: nothing left to close
      void messages.close().catch(() => {});
      void loop;
    },
  };
}

/** The stored result of job `id`, whatever its batch; undefined when there is none (yet). */
export async function readResult(js: JetStreamClient, id: string): Promise<ResultV1 | undefined> {
  const consumer = await js.consumers.get(STREAM_RESULTS, { filter_subjects: resultOfAnyBatch(id), deliver_policy: DeliverPolicy.LastPerSubject });
  const info = await consumer.info(true);
  if (info.num_pending === 0) {
    // an ephemeral consumer: one that cannot be deleted now expires by itself (inactive threshold)
    await consumer.delete().catch(() => {});
    return undefined;
  }
  const m = await consumer.next({ expires: 2000 });
  await consumer.delete().catch(() => {}); // as above: it expires by itself
  return m ? decodeResult(m.data) : undefined;
}
