// The log lines a job's handler wrote with ctx.log (`docctl job ID --logs`, Client.logs(id)).
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAM_LOGS, decodeLogLine, logSubject, type JobLogLineV1 } from "../protocol/job-log.ts";
import { isNotFound } from "../nats/errors.ts";
import { findJobEntry } from "./job-index.ts";

/** The job's stored log lines, oldest first (empty when it wrote none or they expired). */
export async function jobLogs(nc: NatsConnection, id: string, batch?: string): Promise<JobLogLineV1[]> {
  batch ??= (await findJobEntry(await jetstreamManager(nc), id))?.entry.batch;
  const filter = batch ? logSubject(batch, id) : logSubject("*", id);
  let c;
  try {
    c = await jetstream(nc).consumers.get(STREAM_LOGS, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const out: JobLogLineV1[] = [];
  try {
    let pending = (await c.info(true)).num_pending;
    while (pending > 0) {
      const it = await c.fetch({ max_messages: Math.min(pending, 500), expires: 3000 });
      let got = 0;
      for await (const m of it) {
        got++;
        pending = m.info.pending;
        const l = decodeLogLine(m.data);
        if (l) out.push(l);
      }
      if (!got) break;
    }
  } finally {
    // an ordered (ephemeral) consumer: if the delete fails the server drops it after its inactivity threshold
    await c.delete().catch(() => {});
  }
  return out;
}
