// lifo (BullMQ's `lifo: true`): the job is taken before the jobs of its handler and priority that were
// waiting when it came; among several, the newest first. A JetStream stream only appends, and a work
// queue consumer hands messages out in stream order, so the queue is rewritten: with the consumer of the
// job's handler and priority held (consumer-hold.ts), the lifo job is published, then every job waiting
// before it (not yet handed to a worker) is published again after it and its first copy deleted. The
// jobs stay ordinary messages of the work queue: acks, redelivery after a crash, cancel, pause, limits
// and priorities work on them as on any job. The cost is one move per waiting job of that handler and
// priority, so a lifo submit is refused above `lifoDefaults.maxMoves` waiting jobs.
import { deleteIfThere } from "../nats/delete-message.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeJob, encodeJob, type JobV1 } from "../protocol/codec.ts";
import { InputError } from "../protocol/errors.ts";
import { STREAM_TASKS, priorityConsumer, prioritySubject } from "../protocol/subjects.ts";
import { JobIndexWriter, entryOfJob } from "../nats/job-index.ts";
import { holdConsumer } from "./consumer-hold.ts";
import { preflight } from "./submit-preflight.ts";
import { encodePlannedJob } from "./job-encoding.ts";
import type { PlannedJob } from "./jobfile.ts";
import type { SubmitRunOptions } from "./submit-options.ts";
import { scanStream } from "./job-state.ts";

export const lifoDefaults = {
  /** a lifo submit moves at most this many waiting jobs behind it; above, it is refused */
  maxMoves: 10_000,
};

/** What a lifo publish did: the job's stream sequence, how many waiting jobs went behind it, whether it was a duplicate. */
export interface LifoOutcome {
  seq: number;
  moved: number;
  duplicate: boolean;
}

/** The pure part: which stored messages go behind the lifo job (those after `delivered`, before it, in order). */
export function toMoveBehind(seqs: number[], delivered: number, lifoSeq: number): number[] {
  return seqs.filter((s) => s > delivered && s < lifoSeq).sort((a, b) => a - b);
}

/** Why a job cannot be lifo, or undefined. */
export function lifoProblem(j: { delay_ms?: number; run_at?: number }, batchSize = 1): string | undefined {
  if (j.delay_ms || j.run_at !== undefined) return `"lifo" cannot be combined with "delay" or "run_at": a delayed job is queued when due, behind what waits then`;
  if (batchSize > 1) return `"lifo" is for single jobs, not batches (each lifo job moves the waiting queue behind it)`;
  return undefined;
}

/**
 * Publish `job` (encoded, with `lifo: true`) at the head of its handler's queue of its priority: the
 * jobs of that queue not yet handed to a worker are moved behind it. Dedupe by job id as any submit
 * (a duplicate moves nothing). Its index entry (queued, with its sequence) is written before the hold
 * ends, so no worker can finish it first.
 */
export async function publishLifo(nc: NatsConnection, job: JobV1): Promise<LifoOutcome> {
  const jsm = await jetstreamManager(nc);
  const js = jsm.jetstream();
  const subject = prioritySubject(job.handler, job.priority);
  const hold = await holdConsumer(jsm, priorityConsumer(job.handler, job.priority ?? "normal"));
  try {
    // the waiting part of the queue, read before the lifo job is stored (stream order)
    const waiting: { seq: number; data: Uint8Array }[] = [];
    for await (const m of scanStream(jsm, STREAM_TASKS, subject, lifoDefaults.maxMoves + 1)) {
      if (m.seq > hold.delivered) waiting.push({ seq: m.seq, data: m.data });
      if (waiting.length > lifoDefaults.maxMoves) {
        throw new InputError(
          `job ${job.id}: "lifo" would move more than ${lifoDefaults.maxMoves} waiting jobs of ${job.handler}${job.priority ? ` (${job.priority})` : ""} behind it; submit it with "priority": "high" instead, or without "lifo"`,
        );
      }
    }
    const ack = await js.publish(subject, encodeJob({ ...job, lifo: true }), { msgID: job.id });
    if (ack.duplicate) return { seq: ack.seq, moved: 0, duplicate: true };
    const writer = new JobIndexWriter(nc);
    let moved = 0;
    try {
      // index writes are best effort: a job without an entry still runs, its worker writes the final one
      await writer.added(entryOfJob(job, "queued", { task_seq: ack.seq })).catch(() => {});
      // copies first, originals deleted after: a holder dying in between leaves a job twice, never none
      const move = toMoveBehind(
        waiting.map((w) => w.seq),
        hold.delivered,
        ack.seq,
      );
      const bySeq = new Map(waiting.map((w) => [w.seq, w.data]));
      for (const seq of move) {
        const data = bySeq.get(seq)!;
        const copy = await js.publish(subject, data);
        if (!(await deleteIfThere(jsm, STREAM_TASKS, seq))) {
          // taken meanwhile (cannot be while held, but a handler resumed by hand could): the copy goes
          await deleteIfThere(jsm, STREAM_TASKS, copy.seq);
          continue;
        }
        moved++;
        const d = decodeJob(data);
        // best effort as above: a stale task_seq only makes reprioritize/update look the job up by scan
        if (d.ok) await writer.moved(entryOfJob(d.value, "queued", { task_seq: copy.seq })).catch(() => {});
      }
    } finally {
      writer.close();
    }
    return { seq: ack.seq, moved, duplicate: false };
  } finally {
    await hold.release();
  }
}

/**
 * The lifo part of a submit: the submit's checks (streams, a handler the fleet knows unless `create`),
 * then the job published at the head of its queue. The submit that follows (to wait for the result)
 * publishes the same id again: a duplicate inside the window, so it is not stored twice.
 */
export async function putLifo(nc: NatsConnection, j: PlannedJob, opts: Pick<SubmitRunOptions, "create" | "topology">, batch = j.id): Promise<LifoOutcome> {
  const problem = lifoProblem(j);
  if (problem) throw new InputError(`job ${j.id}: ${problem}`);
  await preflight(nc, { kind: "single", batch, jobs: [j], size: 1, handlers: [j.handler] }, opts);
  const { job } = encodePlannedJob(j, batch, 0, nc.info?.max_payload ?? 1024 * 1024);
  return publishLifo(nc, job);
}
