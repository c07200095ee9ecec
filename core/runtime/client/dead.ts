// Dead letters: list them, and put them back on the task queue with fresh attempts.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeDead, encodeJob, type DeadLetterV1 } from "../protocol/codec.ts";
import { InputError } from "../protocol/errors.ts";
import { STREAM_DEAD, taskSubject } from "../protocol/subjects.ts";
import { isNotFound } from "../nats/errors.ts";

export interface DeadEntry {
  seq: number;
  dead: DeadLetterV1;
}

/** Every dead letter still kept, oldest first (optionally of one handler). */
export async function listDead(nc: NatsConnection, handler?: string): Promise<DeadEntry[]> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  try {
    const si = await jsm.streams.info(STREAM_DEAD);
    if (si.state.messages === 0) return [];
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const consumer = await js.consumers.get(STREAM_DEAD, { filter_subjects: handler ? `docctl.dead.${handler}` : "docctl.dead.>", deliver_policy: DeliverPolicy.All });
  const out: DeadEntry[] = [];
  for (;;) {
    const info = await consumer.info(true);
    if (info.num_pending === 0) break;
    const batch = await consumer.fetch({ max_messages: Math.min(info.num_pending, 1000), expires: 2000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      try {
        out.push({ seq: m.seq, dead: decodeDead(m.data) });
      } catch {
        /* not a dead letter of ours */
      }
    }
    if (n === 0) break;
  }
  await consumer.delete().catch(() => {});
  return out;
}

/**
 * Re-queue dead jobs (by id, or all): each is published again with its attempts starting over, and its
 * dead letter is removed. Undecodable ones cannot be retried and are reported.
 */
export async function retryDead(nc: NatsConnection, which: { id?: string; all?: boolean }): Promise<{ retried: string[]; skipped: string[] }> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const entries = await listDead(nc);
  const chosen = which.all ? entries : entries.filter((e) => e.dead.job?.id === which.id);
  if (!which.all && chosen.length === 0) {
    throw new InputError(`no dead letter for job "${which.id}" (see \`docctl dead ls\`; dead letters expire after the configured time)`);
  }
  const retried: string[] = [];
  const skipped: string[] = [];
  for (const e of chosen) {
    const job = e.dead.job;
    if (!job) {
      skipped.push(`seq ${e.seq}: undecodable bytes on ${e.dead.subject} cannot be retried`);
      continue;
    }
    // A new message id: the original is still inside (or past) the duplicate window and must not block the retry.
    await js.publish(taskSubject(job.handler), encodeJob({ ...job, submitted_at: Date.now() }), { msgID: `${job.id}.retry.${e.seq}` });
    await jsm.streams.deleteMessage(STREAM_DEAD, e.seq);
    retried.push(job.id);
  }
  return { retried, skipped };
}
