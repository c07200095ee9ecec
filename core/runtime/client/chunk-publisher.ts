// Publishing a submit's jobs: a chunk atomically (all or nothing), or one job, each retried on transient
// NATS errors until the run's deadline, with each stored job's queued/scheduled index entry written.
import type { NatsConnection } from "@nats-io/transport-node";
import { ServerError, storeProblem } from "../protocol/errors.ts";
import { prioritySubject } from "../protocol/subjects.ts";
import type { JobEntryV1 } from "../protocol/job-entry.ts";
import { delayedPublish } from "../nats/delays.ts";
import { isTransientNatsError } from "../nats/errors.ts";
import { JobIndexWriter } from "../nats/job-index.ts";
import { ATOMIC_DUPLICATE, JetStreamPublisher } from "../nats/publisher.ts";
import { natsPublishBackoff, retrying } from "../util/backoff.ts";
import type { PlannedJob } from "./jobfile.ts";

/** A job waiting in the chunk being built: its plan, bytes and input index. */
export interface Chunked {
  j: PlannedJob;
  data: Uint8Array;
  i: number;
}

/** What a run tells its publisher. */
export interface ChunkPublisherOptions {
  /** retries of a transient error stop here (ms since the epoch) */
  deadline: number;
  stopped: () => boolean;
  /** takes job `i`'s index entry (to write once the job is stored), or undefined */
  takeEntry: (i: number) => JobEntryV1 | undefined;
  /**
   * Job `j` (input index `i`) is stored. `counted` is whether it counts as a duplicate (a re-run);
   * `duplicate` whether the server said so (on a retry, possibly our own earlier publish).
   */
  stored: (j: PlannedJob, i: number, counted: boolean, duplicate: boolean) => void;
}

/** Publishes chunks and single jobs of one run; close() once nothing more is published. */
export class ChunkPublisher {
  private pub: JetStreamPublisher;
  /** the job index (DOCCTL_JOBS): each job's queued or scheduled entry, written after its PubAck */
  private index: JobIndexWriter;

  constructor(nc: NatsConnection, private o: ChunkPublisherOptions) {
    this.pub = new JetStreamPublisher(nc);
    this.index = new JobIndexWriter(nc);
  }

  // One chunk, atomically (nats-server 2.12+ atomic batch publish): the server stores every job of it or
  // none. A chunk refused because one of its ids is a duplicate (a re-run of a submit) goes job by job,
  // where a duplicate is a no-op, as before.
  async publishChunk(chunk: Chunked[]): Promise<void> {
    if (chunk.length === 1) return this.publishOne(chunk[0]!.j, chunk[0]!.data, chunk[0]!.i);
    const msgs = chunk.map(({ j, data }) => ({ ...publishOf(j), data, msgID: j.id }));
    let dupInside = false;
    let lastSeq: number | undefined;
    await retrying(
      async () => {
        try {
          lastSeq = (await this.pub.publishAtomic(msgs)).seq;
        } catch (err) {
          if ((err as { code?: number }).code === ATOMIC_DUPLICATE) {
            dupInside = true;
            return;
          }
          const full = storeProblem(err);
          throw full ? new ServerError(`jobs [${chunk[0]!.i}..${chunk.at(-1)!.i}] were not queued: ${full.replace(/; the job is kept and tried again$/, "")}`, { cause: err }) : err;
        }
      },
      { backoff: natsPublishBackoff, giveUpAt: this.o.deadline, retryable: (err) => !this.o.stopped() && isTransientNatsError(err) },
    );
    if (dupInside) {
      await Promise.all(chunk.map(({ j, data, i }) => this.publishOne(j, data, i)));
      return;
    }
    // The chunk's index entries (queued, or scheduled): an atomic batch is stored in consecutive
    // sequences, so each job's task_seq is known from the commit's. Written together, best effort as
    // for one job: a job the index missed is still run, and its worker writes its final entry.
    const first = lastSeq === undefined ? undefined : lastSeq - chunk.length + 1;
    await Promise.all(
      chunk.map(({ i }, k) => {
        const entry = this.o.takeEntry(i);
        if (!entry) return undefined;
        // best effort: a job the index missed is still run, and its worker writes its final entry
        return this.index.added(entry.state === "queued" && first !== undefined ? { ...entry, task_seq: first + k } : entry).catch(() => {});
      }),
    );
    for (const { j, i } of chunk) this.o.stored(j, i, false, false);
  }

  async publishOne(j: PlannedJob, data: Uint8Array, i: number): Promise<void> {
    // A server restart or a cluster leader election makes publishes time out; the job id is the
    // Nats-Msg-Id, so publishing again is safe: JetStream stores it once.
    await retrying(
      async (retry) => {
        // a job with a run_at is an @at schedule that the server turns into the job at its time (nats/delays.ts)
        const p = publishOf(j);
        const ack = await this.pub.publish(p.subject, data, { msgID: j.id, headers: p.headers }).catch((err) => {
          const full = storeProblem(err);
          throw full ? new ServerError(`job [${i}] ("${j.id}") was not queued: ${full.replace(/; the job is kept and tried again$/, "")}`, { cause: err }) : err;
        });
        const entry = this.o.takeEntry(i);
        // best effort: a job the index missed is still run, and its worker writes its final entry
        if (entry && !ack.duplicate) await this.index.added(entry.state === "queued" ? { ...entry, task_seq: ack.seq } : entry).catch(() => {});
        // on a retry, "duplicate" may be our own earlier publish that got stored but not acked
        this.o.stored(j, i, ack.duplicate && retry === 0, ack.duplicate);
      },
      { backoff: natsPublishBackoff, giveUpAt: this.o.deadline, retryable: (err) => !this.o.stopped() && isTransientNatsError(err) },
    );
  }

  /** Closes the PubAck inbox and the index writer. */
  close(): void {
    this.pub.close();
    this.index.close();
  }
}

/** Where a job is published: its task subject, or (a delay or run_at) its @at schedule on docctl.delay.<id>. */
export function publishOf(j: PlannedJob): { subject: string; headers?: Record<string, string> } {
  if (j.run_at === undefined && !j.delay_ms) return { subject: prioritySubject(j.handler, j.priority) };
  return delayedPublish({ id: j.id, handler: j.handler, priority: j.priority, run_at: j.run_at ?? Date.now() + j.delay_ms! });
}
