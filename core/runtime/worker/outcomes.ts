// How a job's end is recorded: its result stored (then the job acked), a dead letter for a job that
// failed for good, and undecodable messages dead-lettered with their raw bytes.
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decode } from "@msgpack/msgpack";
import { encodeDeadFitting, encodeResult, type JobV1, type ResultV1 } from "../protocol/codec.ts";
import { ErrorCodes, clipMessage, storeProblem, type WireError } from "../protocol/errors.ts";
import { STREAM_DEAD, deadSubject, resultSubject, tokenProblem } from "../protocol/subjects.ts";
import { isTransientNatsError } from "../nats/errors.ts";
import { JetStreamPublisher } from "../nats/publisher.ts";
import { isResultTaken, publishResultOnce, storedResultIs, type ResultWrite } from "../nats/result-once.ts";

import type { JobMsg } from "../nats/job-msg.ts";
import { natsPublishBackoff, retrying, storeFullBackoff } from "../util/backoff.ts";
import type { Logger } from "../util/log.ts";
import type { WorkerMetrics } from "../util/metrics.ts";
import { Workflows } from "./workflow.ts";
import type { JobRecorder } from "./job-record.ts";
import { ttlHeader } from "../nats/job-index.ts";
import type { AttemptV1 } from "../protocol/job-entry.ts";
import { BAD_MESSAGE_MAX_DELIVERIES, workerLoopDefaults, type LoopCounters } from "./loop-options.ts";

export type Outcome = Pick<ResultV1, "ok" | "value" | "error" | "output">;

export interface OutcomesOptions {
  nc: NatsConnection;
  /** the job index entries and attempt history of each job's end */
  recorder: JobRecorder;
  workerId: string;
  log: Logger;
  /** a result publish that times out is tried again for up to one ack wait */
  ackWaitMs: number;
  metrics?: WorkerMetrics;
  counters: LoopCounters;
  workflows: Workflows;
  /** the loop has stopped: a full store is no longer waited out */
  stopped(): boolean;
  onJobFinished?(r: { id: string; handler: string; ok: boolean }): void;
  /** a job's result is stored (a schedule's tick notes its last run) */
  afterResult?(job: JobV1, ok: boolean, code?: string): void;
}

/**
 * The encoded result, or why it cannot be sent: values msgpack cannot carry (a BigInt, a circular
 * object) and results over the server's max_payload fail at once with their own codes.
 */
export function encodeOutcome(job: JobV1, outcome: Outcome, o: { attempt: number; started: number; workerId: string; maxPayload: number }): { bytes: Uint8Array } | { error: WireError } {
  const result: ResultV1 = {
    v: 1,
    id: job.id,
    batch: job.batch,
    handler: job.handler,
    ...outcome,
    attempts: o.attempt,
    worker: o.workerId,
    started_at: o.started,
    finished_at: Date.now(),
    ...(typeof job.hash === "string" ? { job_hash: job.hash } : {}),
  };
  let bytes: Uint8Array;
  try {
    bytes = encodeResult(result);
  } catch (err) {
    const why = /too deep/i.test((err as Error).message) ? "it nests too deep or refers to itself (a circular object)" : clipMessage((err as Error).message, 300);
    return {
      error: {
        code: ErrorCodes.RESULT_UNENCODABLE,
        message: `the handler's ${outcome.ok ? "return value" : "error"} cannot be sent as msgpack: ${why}. Return plain data (no BigInt, functions, class instances or cycles).`,
        retryable: false,
      },
    };
  }
  const max = o.maxPayload - 1024;
  if (bytes.byteLength > max) {
    return {
      error: {
        code: ErrorCodes.RESULT_TOO_LARGE,
        message: `the result is ${bytes.byteLength} bytes encoded, over the ${max} bytes a message may carry (the server's max_payload less headers). Store documents with ctx.output(), which uses the object store.`,
        retryable: false,
      },
    };
  }
  return { bytes };
}

export class Outcomes {
  private js: JetStreamClient;
  /** result publishes (the hot path) with their PubAcks on one inbox */
  private pub: JetStreamPublisher;

  constructor(private o: OutcomesOptions) {
    this.js = jetstream(o.nc);
    this.pub = new JetStreamPublisher(o.nc);
  }

  close(): void {
    this.pub.close();
  }

  encode(job: JobV1, outcome: Outcome, attempt: number, started: number): { bytes: Uint8Array } | { error: WireError } {
    return encodeOutcome(job, outcome, { attempt, started, workerId: this.o.workerId, maxPayload: this.maxPayload() });
  }

  /** A successful attempt: its result stored (PubAck), the workflow moved on, the job acked. */
  async succeeded(job: JobV1, msg: JobMsg, encoded: { bytes: Uint8Array }, value: unknown, attempt: number, started: number, log: Logger): Promise<void> {
    const p0 = Date.now();
    const write = await this.publishResult(resultSubject(job.batch, job.id), encoded.bytes, msg, job.keep_result_ms);
    if (write === "taken") {
      // First result wins: it was cancelled (or ended otherwise) before this attempt finished.
      log.job("finished, but the job already has a final result (cancelled while it ran?): that one stands, this value is not stored");
    } else {
      this.o.afterResult?.(job, true);
      log.trace(`result stored: ${encoded.bytes.byteLength} bytes in ${Date.now() - p0}ms`);
      // the index entry (publish, then purge the older ones) goes on while the job is acked: two round
      // trips that held every successful job were most of the worker's slowdown (docs/benchmarks.md)
      this.o.recorder.finishedSoon(job, this.resultOf(job, { ok: true }, attempt, started), { delivery: msg.info.deliveryCount });
      if (Workflows.involved(job)) await this.o.workflows.afterResult(job, { ok: true, value });
    }
    msg.ack();
    log.debug(`acked (stream seq ${msg.info.streamSequence})`);
    this.o.counters.jobsDone++;
    this.o.metrics?.finished(job.handler, true, (Date.now() - started) / 1000);
    log.job(`done in ${Date.now() - started}ms`);
    this.o.onJobFinished?.({ id: job.id, handler: job.handler, ok: true });
  }

  /** A job that ends without a value: cancelled (a result only) or failed for good (a dead letter and a result). */
  async fail(job: JobV1, msg: JobMsg, error: WireError, attempt: number, started: number, log: Logger, stack?: string): Promise<void> {
    error = { ...error, message: clipMessage(error.message) };
    if (error.code === ErrorCodes.CANCELLED) {
      // cancelled is not a failure to look into: a result, no dead letter
      log.job(`cancelled (attempt ${attempt})`);
      await this.finish(job, msg, { ok: false, error }, attempt, started);
      this.o.metrics?.failures.inc({ handler: job.handler, code: error.code });
      this.o.onJobFinished?.({ id: job.id, handler: job.handler, ok: false });
      return;
    }
    log.warn(`failed for good with ${error.code}: ${error.message}`);
    // every attempt's error, worker, time and stack: the earlier ones from the job's index entry
    const history = await this.o.recorder.withAttempt(job, attempt, error, stack);
    const dead = encodeDeadFitting({ v: 1, job, subject: msg.subject, error, ...(stack ? { stack: clipMessage(stack) } : {}), attempts: attempt, worker: this.o.workerId, failed_at: Date.now(), history }, this.maxPayload());
    // The dead letter first: a crash before the result means a redelivery that writes both (the dead
    // letter deduplicated by its id), never a failed result without its dead letter.
    const ack = await this.js.publish(deadSubject(job.handler), dead, { msgID: `dead-${job.id}-${msg.info.streamSequence}` });
    if ((await this.finish(job, msg, { ok: false, error }, attempt, started, { dead: true, history })) === "taken") {
      // Another final result stands (cancelled meanwhile): this failure is not the job's end, and its
      // dead letter goes again unless an earlier delivery wrote it.
      if (!ack.duplicate) await jetstreamManager(this.o.nc).then((jsm) => jsm.streams.deleteMessage(STREAM_DEAD, ack.seq)).catch(() => false);
      log.job(`the job already has a final result (cancelled?): this ${error.code} is not stored and leaves no dead letter`);
      this.o.onJobFinished?.({ id: job.id, handler: job.handler, ok: false });
      return;
    }
    this.o.counters.jobsFailed++;
    this.o.metrics?.dead.inc({ handler: job.handler });
    this.o.metrics?.finished(job.handler, false, (Date.now() - started) / 1000, error.code);
    this.o.onJobFinished?.({ id: job.id, handler: job.handler, ok: false });
  }

  // The result is stored (PubAck) before the job is acked: a crash in between means a redelivery, never a loss.
  private async finish(job: JobV1, msg: JobMsg, outcome: Outcome, attempt: number, started: number, o: { dead?: boolean; history?: AttemptV1[] } = {}): Promise<ResultWrite> {
    const encoded = this.encode(job, outcome, attempt, started);
    if ("error" in encoded) throw new Error(`the failed result of ${job.id} cannot be encoded: ${encoded.error.message}`);
    const write = await this.publishResult(resultSubject(job.batch, job.id), encoded.bytes, msg, outcome.ok ? job.keep_result_ms : job.keep_failed_ms);
    if (write === "stored") await this.o.recorder.finished(job, this.resultOf(job, outcome, attempt, started), { ...o, delivery: msg.info.deliveryCount });
    if (write === "stored") this.o.afterResult?.(job, outcome.ok, outcome.error?.code);
    if (write === "stored" && Workflows.involved(job)) await this.o.workflows.afterResult(job, { ok: outcome.ok, value: outcome.value, error: outcome.error });
    msg.ack();
    return write;
  }

  // What the index needs of a result (its value stays in the result).
  private resultOf(job: JobV1, outcome: Pick<ResultV1, "ok" | "error">, attempt: number, started: number): ResultV1 {
    return { v: 1, id: job.id, batch: job.batch, handler: job.handler, ok: outcome.ok, error: outcome.error, attempts: attempt, worker: this.o.workerId, started_at: started, finished_at: Date.now() };
  }

  private maxPayload(): number {
    return this.o.nc.info?.max_payload ?? 1024 * 1024;
  }

  // A result publish that times out (server restarting, cluster electing the results stream's leader)
  // is tried again for up to one ack wait, instead of leaving the job to be redelivered and run again:
  // the fault tests saw jobs run 4 times during an election. Results are written once (first wins,
  // enforced by JetStream: result-once.ts): "taken" when another final result stands; a refused retry
  // of our own publish (stored, PubAck lost) is recognised as ours.
  private async publishResult(subject: string, data: Uint8Array, msg?: JobMsg, ttlMs?: number): Promise<ResultWrite> {
    try {
      await this.storeResult(subject, data, msg, ttlMs);
      return "stored";
    } catch (err) {
      if (!isResultTaken(err)) throw err;
      return (await storedResultIs(this.o.nc, subject, data)) ? "stored" : "taken";
    }
  }

  private async storeResult(subject: string, data: Uint8Array, msg?: JobMsg, ttlMs?: number): Promise<void> {
    // a job's own retention (keep_result / keep_failed): kept at most as long as the stream's max age
    const headers = ttlMs ? { "Nats-TTL": ttlHeader(ttlMs) } : undefined;
    const once = () =>
      retrying(() => this.pub.publish(subject, data, { firstOnSubject: true, headers }), {
        backoff: natsPublishBackoff,
        giveUpAt: Date.now() + this.o.ackWaitMs,
        retryable: (err) => isTransientNatsError(err) && !this.o.nc.isClosed(),
        onRetry: (err) => this.o.log.debug(`storing a result failed (${(err as Error).message}); trying again`),
      });
    // A full store (disk, max_file_store, the stream's limits) does not pass by itself, but running the
    // job again would not help either: keep the job (in-progress acks) and its result, and try again
    // every few seconds for a while, saying why once. Redelivery had re-run jobs until they ended as
    // ATTEMPTS_EXHAUSTED, the cause only in the log as "unexpected error".
    await retrying(
      async (retry) => {
        if (retry > 0) msg?.working();
        await once();
      },
      {
        backoff: storeFullBackoff,
        giveUpAt: Date.now() + workerLoopDefaults.storeFullHoldMs,
        retryable: (err) => Boolean(storeProblem(err) && msg && !this.o.stopped() && !this.o.nc.isClosed()),
        onRetry: (err, ms, retry) => {
          if (retry === 0) this.o.log.error(`${storeProblem(err)}; holding the finished job ${subject.split(".").at(-1)} and trying to store its result every ${ms / 1000} s`);
          msg?.working();
        },
      },
    );
  }

  // Bytes that are not a v1 job: a dead letter (with the raw bytes), a failed result when an id and
  // batch can be read from them, and an ack: retrying cannot make them decodable.
  async badMessage(handler: string, msg: JobMsg, problem: string, attempt: number, started: number): Promise<void> {
    const error = { code: ErrorCodes.BAD_MESSAGE, message: clipMessage(`undecodable job on ${msg.subject}: ${problem}`), retryable: false };
    this.o.log.warn(`${error.message} (stream seq ${msg.info.streamSequence}, ${msg.data.byteLength} bytes)`);
    try {
      // Cut to fit under max_payload: 1 MB of garbage once made a dead letter too big to write, forever.
      const dead = encodeDeadFitting({ v: 1, job: null, raw: msg.data, subject: msg.subject, error, attempts: attempt, worker: this.o.workerId, failed_at: Date.now() }, this.maxPayload());
      await this.js.publish(deadSubject(handler), dead, { msgID: `dead-seq-${msg.info.streamSequence}` });
      const guess = peekIds(msg.data) ?? peekIdHeader(msg);
      if (guess) {
        const result: ResultV1 = { v: 1, id: guess.id, batch: guess.batch, handler, ok: false, error, attempts: attempt, worker: this.o.workerId, started_at: started, finished_at: Date.now() };
        await publishResultOnce(this.js, resultSubject(guess.batch, guess.id), encodeResult(result));
      }
      msg.ack();
      this.o.counters.jobsFailed++;
      this.o.metrics?.dead.inc({ handler });
      this.o.metrics?.failed.inc({ handler });
      this.o.metrics?.failures.inc({ handler, code: error.code });
    } catch (err) {
      // A delivery cap for garbage: retrying cannot make it decodable, and an endless redelivery keeps
      // the lag above 0 (the manager could never scale to zero).
      if (attempt >= BAD_MESSAGE_MAX_DELIVERIES) {
        this.o.log.error(
          `undecodable job on ${msg.subject} (stream seq ${msg.info.streamSequence}) dropped after ${attempt} deliveries: its dead letter could not be written (${storeProblem(err) ?? (err as Error).message})`,
        );
        msg.term();
        return;
      }
      this.o.log.error(`could not dead-letter an undecodable job, it will be redelivered: ${storeProblem(err) ?? (err as Error).message}`);
    }
  }
}

function peekIds(data: Uint8Array): { id: string; batch: string } | undefined {
  try {
    const m = decode(data) as Record<string, unknown>;
    if (m && typeof m === "object" && !tokenProblem(m.id)) {
      const batch = tokenProblem(m.batch) ? (m.id as string) : (m.batch as string);
      return { id: m.id as string, batch };
    }
  } catch {
    /* not msgpack at all */
  }
  return undefined;
}

function peekIdHeader(msg: JobMsg): { id: string; batch: string } | undefined {
  const id = msg.headers?.get("Nats-Msg-Id");
  return id && !tokenProblem(id) ? { id, batch: id } : undefined;
}
