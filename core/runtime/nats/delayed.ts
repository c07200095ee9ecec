// Moves delayed jobs onto their task subjects when they are due. Run by every worker proc and manager:
// the jobs wait in the DOCCTL_DELAYED stream, never in a process, so any mover that is up moves them.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { decodeJob, encodeJob, encodeResult, type JobV1 } from "../protocol/codec.ts";
import { ErrorCodes } from "../protocol/errors.ts";
import { isAlreadyExists, isNotFound, isTransientNatsError } from "./errors.ts";
import { publishResultOnce, type ResultWrite } from "./result-once.ts";
import { DELAYED_CONSUMER, STREAM_DELAYED, prioritySubject, resultSubject } from "../protocol/subjects.ts";
import { cancelBucket } from "./buckets.ts";
import type { Logger } from "../protocol/logger.ts";

export type MoverLog = Pick<Logger, "warn" | "debug">;

/** A due job is moved when it is at most this early (ms): JetStream redelivers a nak'd message on time to within a few ms. */
const EARLY_MS = 5;

/**
 * The mover: a durable pull consumer on DOCCTL_DELAYED shared by every mover. A job not yet due is
 * nak'd with the time left, so JetStream itself holds it until then (no timer in any process); a due
 * one is published on its task subject with its id as `Nats-Msg-Id` (a second mover's copy is a
 * duplicate) and then acked. A job cancelled meanwhile gets its CANCELLED result instead.
 */
export class DelayedMover {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private cancels?: Promise<KV>;
  private stopped = false;

  constructor(private nc: NatsConnection, private o: { log: MoverLog; worker: string; ackWaitMs?: number }) {}

  /** Ensure the consumer and start moving. The delayed stream must exist (ensureStreams). */
  async start(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    await ensureDelayedConsumer(jsm, this.o.ackWaitMs ?? 30_000);
    const consumer = await jetstream(this.nc).consumers.get(STREAM_DELAYED, DELAYED_CONSUMER);
    this.messages = await consumer.consume({ max_messages: 64, expires: 5_000 });
    this.loop = (async () => {
      for await (const m of this.messages!) {
        try {
          await this.handle(m);
        } catch (err) {
          // NATS away: leave the message unacked, it comes back after the ack wait
          if (!isTransientNatsError(err)) this.o.log.warn(`delayed job seq ${m.seq}: ${(err as Error).message}`);
        }
      }
    })();
  }

  private async handle(m: JsMsg): Promise<void> {
    const d = decodeJob(m.data);
    if (!d.ok) {
      // not a job: nothing can ever move it; keep it out of the way (a worker would dead-letter it, we cannot know its handler)
      this.o.log.warn(`undecodable message on ${m.subject} dropped: ${d.problem}`);
      m.term();
      return;
    }
    const job = d.value;
    const left = (job.run_at ?? 0) - Date.now();
    if (left > EARLY_MS) {
      m.nak(left);
      return;
    }
    this.cancels ??= cancelBucket(this.nc);
    const marked = await (await this.cancels).get(job.id).catch(() => null);
    if (marked && marked.operation === "PUT") {
      await publishCancelled(this.nc, job, this.o.worker, "cancelled while it waited for its run_at");
      m.ack();
      return;
    }
    await jetstream(this.nc).publish(prioritySubject(job.handler, job.priority), encodeJob(job), { msgID: job.id });
    m.ack();
    this.o.log.debug(`delayed job ${job.id} [${job.handler}] moved to its queue ${Math.max(0, -left)}ms after its run_at`);
  }

  /** Stop pulling; resolves when the loop has ended (unhandled messages come back after the ack wait). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.messages?.close().catch(() => {});
    await this.loop;
  }
}

/** The consumer movers share. `max_ack_pending` unlimited: every waiting job is pending (nak'd with a delay). */
export async function ensureDelayedConsumer(jsm: Awaited<ReturnType<typeof jetstreamManager>>, ackWaitMs: number): Promise<void> {
  try {
    await jsm.consumers.info(STREAM_DELAYED, DELAYED_CONSUMER);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.consumers.add(STREAM_DELAYED, {
        durable_name: DELAYED_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ackWaitMs),
        max_deliver: -1,
        max_ack_pending: -1,
      });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
}

/**
 * Publish the CANCELLED result of a job that will not run, unless it has a final result already (it
 * finished first: that result stands); says which.
 */
export async function publishCancelled(nc: NatsConnection, job: Pick<JobV1, "id" | "batch" | "handler">, worker: string, why: string): Promise<ResultWrite> {
  const now = Date.now();
  const error = { code: ErrorCodes.CANCELLED, message: `cancelled: ${why}`, retryable: false };
  return publishResultOnce(
    jetstream(nc),
    resultSubject(job.batch, job.id),
    encodeResult({ v: 1, id: job.id, batch: job.batch, handler: job.handler, ok: false, error, attempts: 0, worker, started_at: now, finished_at: now }),
  );
}
