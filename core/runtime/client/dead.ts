// Dead letters: list them, and put them back on the task queue with fresh attempts.
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type OrderedConsumerOptions } from "@nats-io/jetstream";
import { clearResult } from "../nats/result-once.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeDead, encodeJob, type DeadLetterV1 } from "../protocol/codec.ts";
import { InputError } from "../protocol/errors.ts";
import { ALL_DEAD, STREAM_DEAD, deadLetters, taskSubject } from "../protocol/subjects.ts";
import { isNotFound } from "../nats/errors.ts";
import { JobIndexWriter, entryOfJob } from "../nats/job-index.ts";

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
  return readDead(js, { filter_subjects: deadLetters(handler), deliver_policy: DeliverPolicy.All });
}

/** What recentDead keeps between calls: the stream's state it read last, and what it found. */
export interface DeadCache {
  key?: string;
  value?: { total: number; entries: DeadEntry[] };
}

/**
 * The newest `n` dead letters (newest first) and how many are kept, read from the end of the
 * stream: a window of sequence numbers before the last one, widened only when deletions (retried
 * letters) leave it short. With `cache`, an unchanged stream (same first, last and count) costs
 * one stream-info request. The dashboard polls this; `listDead` stays for listing them all.
 */
export async function recentDead(nc: NatsConnection, n: number, cache: DeadCache = {}): Promise<{ total: number; entries: DeadEntry[] }> {
  const jsm = await jetstreamManager(nc);
  let state;
  try {
    state = (await jsm.streams.info(STREAM_DEAD)).state;
  } catch (err) {
    if (isNotFound(err)) return { total: 0, entries: [] };
    throw err;
  }
  const key = `${state.first_seq}:${state.last_seq}:${state.messages}`;
  if (cache.key === key && cache.value) return cache.value;
  const js = jetstream(nc);
  let entries: DeadEntry[] = [];
  let window = Math.max(1, n);
  for (;;) {
    const start = Math.max(state.first_seq, state.last_seq - window + 1);
    entries = state.messages > 0 ? await readDead(js, { filter_subjects: ALL_DEAD, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start }) : [];
    if (entries.length >= n || start <= state.first_seq) break;
    window *= 4;
  }
  const value = { total: state.messages, entries: entries.slice(-n).reverse() };
  cache.key = key;
  cache.value = value;
  return value;
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
  let writer: JobIndexWriter | undefined;
  for (const e of chosen) {
    const job = e.dead.job;
    if (!job) {
      skipped.push(`seq ${e.seq}: undecodable bytes on ${e.dead.subject} cannot be retried`);
      continue;
    }
    // Its failed result goes first: results are written once, and the retry's must be stored.
    await clearResult(nc, job.batch, job.id);
    // A new message id: the original is still inside (or past) the duplicate window and must not block the retry.
    const again = { ...job, submitted_at: Date.now() };
    // queued again in the job index (its attempt history starts over with the attempts), before it
    // is published: it may run and finish before a later write would land
    writer ??= new JobIndexWriter(nc);
    // best effort like every index write: the job is run either way, and its worker writes its entry
    await writer.moved(entryOfJob(again, "queued")).catch(() => {});
    await js.publish(taskSubject(job.handler), encodeJob(again), { msgID: `${job.id}.retry.${e.seq}` });
    await jsm.streams.deleteMessage(STREAM_DEAD, e.seq);
    retried.push(job.id);
  }
  writer?.close();
  return { retried, skipped };
}

// Every dead letter an ordered (ephemeral) consumer of `opts` reads, to the end of the stream; the
// consumer is deleted after.
async function readDead(js: JetStreamClient, opts: Partial<OrderedConsumerOptions>): Promise<DeadEntry[]> {
  const consumer = await js.consumers.get(STREAM_DEAD, opts);
  const out: DeadEntry[] = [];
  try {
    for (;;) {
      const info = await consumer.info(true);
      if (info.num_pending === 0) break;
      const batch = await consumer.fetch({ max_messages: Math.min(info.num_pending, 1000), expires: 2000 });
      let got = 0;
      let last = false;
      for await (const m of batch) {
        got++;
        try {
          out.push({ seq: m.seq, dead: decodeDead(m.data) });
        } catch {
          /* not a dead letter of ours (a foreign publisher on a dead-letter subject): skipped */
        }
        // the last one: stop here rather than wait for the pull to expire
        if (m.info.pending === 0) {
          last = true;
          break;
        }
      }
      if (got === 0 || last) break;
    }
  } finally {
    // an ephemeral reader: if the delete fails the server drops it after its inactivity threshold
    await consumer.delete().catch(() => {});
  }
  return out;
}
