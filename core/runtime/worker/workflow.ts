// Chains and batch-then-reduce, driven by the workers: after a step's result is stored (and before its
// job is acked) the next step is published with an id fixed at submit time, so a worker that dies in
// between leaves a redelivery that publishes the same id again: a duplicate, never a second step.
import { DeliverPolicy, jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeResult, encodeJob, encodeResult, type JobV1, type ResultV1, type StepV1, type ThenV1 } from "../protocol/codec.ts";
import { ErrorCodes, type WireError } from "../protocol/errors.ts";
import { entryOfJob, entryOfResult, type JobIndexWriter } from "../nats/job-index.ts";
import { publishResultOnce } from "../nats/result-once.ts";
import { STREAM_RESULTS, batchResults, prioritySubject, resultSubject } from "../protocol/subjects.ts";
import { delayedPublish } from "../nats/delays.ts";
import { headers as natsHeaders } from "@nats-io/transport-node";

/** What a workflow needs of a step's final result: whether it succeeded, its value or its error. */
export type StepOutcome = Pick<ResultV1, "ok" | "value" | "error">;

/** What happens after a job's final result, for the workflows it belongs to. */
export class Workflows {
  private js: JetStreamClient;

  constructor(private nc: NatsConnection, private worker: string, private index?: JobIndexWriter) {
    this.js = jetstream(nc);
  }

  // Steps a workflow publishes enter the job index as queued; a workflow's failed result as failed.
  // Best effort, like every index write: the step runs and the result stands either way.
  private async indexed(f: () => Promise<void>): Promise<void> {
    // best effort (see above): a step or result missing from the index is still run and stored
    await f().catch(() => {});
  }

  /** Whether `job` is part of a workflow (so afterResult has work to do). */
  static involved(job: JobV1): boolean {
    return Boolean(job.next?.length || job.then);
  }

  /** Continue the workflows of `job` now that its final outcome (stored as its result) is known. */
  async afterResult(job: JobV1, result: StepOutcome): Promise<void> {
    if (job.next?.length) await this.chainStep(job, result);
    if (job.then) await this.maybeReduce(job.batch, job.then);
  }

  private async chainStep(job: JobV1, result: StepOutcome): Promise<void> {
    const [step, ...rest] = job.next!;
    if (!result.ok) {
      // the chain ends here: its result (the last step's id) says which step failed and why
      const last = job.next![job.next!.length - 1]!;
      const code = result.error?.code === ErrorCodes.CANCELLED ? ErrorCodes.CANCELLED : ErrorCodes.WORKFLOW_FAILED;
      const error: WireError = { code, message: `chain step "${job.id}" (${job.handler}) failed with ${result.error?.code}: ${result.error?.message}`, retryable: false };
      return this.publishFailed({ id: last.id, batch: job.batch, handler: last.handler }, error);
    }
    const value = result.value ?? null;
    if (step!.batch !== undefined) return this.fanOut(job, step!, rest, value);
    const next: JobV1 = {
      v: 1,
      id: step!.id,
      batch: job.batch,
      handler: step!.handler,
      payload: "payload" in step! ? step!.payload : value,
      submitted_at: Date.now(),
      attempts: step!.attempts,
      timeout_ms: step!.timeout_ms,
      priority: step!.priority,
      next: rest.length ? rest : undefined,
    };
    await this.publishStep(next, step!.delay_ms);
  }

  // A batch step of a chain: one job per payload (or per element of the previous value), each carrying
  // the step after it as its reduce step, which carries the rest of the chain.
  private async fanOut(job: JobV1, step: StepV1, rest: StepV1[], value: unknown): Promise<void> {
    const [receiver, ...after] = rest;
    const last = rest.at(-1) ?? step;
    const payloads = step.batch === "each" ? value : step.batch;
    if (!Array.isArray(payloads) || !payloads.length || !receiver) {
      const why = !receiver ? "it is the last step (a batch step needs a step after it to receive the list)" : `the previous step's value is ${Array.isArray(payloads) ? "an empty array" : "not an array"}, and "batch": "each" fans out over an array`;
      return this.publishFailed({ id: last.id, batch: job.batch, handler: last.handler }, { code: ErrorCodes.WORKFLOW_FAILED, message: `chain step "${step.id}" (${step.handler}) cannot fan out: ${why}`, retryable: false });
    }
    const then: ThenV1 = { id: receiver.id, handler: receiver.handler, attempts: receiver.attempts, timeout_ms: receiver.timeout_ms, priority: receiver.priority, count: payloads.length, items: step.id, next: after.length ? after : undefined };
    for (let i = 0; i < payloads.length; i++) {
      const item: JobV1 = { v: 1, id: `${step.id}-${i}`, batch: job.batch, handler: step.handler, payload: payloads[i] ?? null, submitted_at: Date.now(), attempts: step.attempts, timeout_ms: step.timeout_ms, priority: step.priority, then };
      await this.publishStep(item, step.delay_ms);
    }
  }

  // A step goes to its task subject, or after `delayMs` as an @at schedule the server queues then
  // (nats/delays.ts); its id fixed at submit time makes a redelivery's second publish a duplicate.
  private async publishStep(next: JobV1, delayMs?: number): Promise<void> {
    if (delayMs) {
      const delayed = { ...next, run_at: Date.now() + delayMs };
      const p = delayedPublish(delayed);
      const h = natsHeaders();
      for (const [k, v] of Object.entries(p.headers)) h.set(k, v);
      const ack = await this.js.publish(p.subject, encodeJob(delayed), { msgID: p.msgID, headers: h });
      if (this.index && !ack.duplicate) await this.indexed(() => this.index!.added(entryOfJob(delayed, "scheduled")));
      return;
    }
    const ack = await this.js.publish(prioritySubject(next.handler, next.priority), encodeJob(next), { msgID: next.id });
    if (this.index && !ack.duplicate) await this.indexed(() => this.index!.added({ ...entryOfJob(next, "queued"), task_seq: ack.seq }));
  }

  // Every item publishes the reduce step once all items have results; all but the first are duplicates.
  private async maybeReduce(batch: string, then: ThenV1): Promise<void> {
    const items = await this.itemResults(batch, then.count, then.items ?? batch);
    if (!items) return;
    const failed = items.filter((r) => !r.ok);
    if (failed.length && then.on_failure !== "null") {
      const cancelled = failed.some((r) => r.error?.code === ErrorCodes.CANCELLED);
      const list = failed.slice(0, 5).map((r) => `${r.id} (${r.error?.code})`).join(", ");
      const error: WireError = {
        code: cancelled ? ErrorCodes.CANCELLED : ErrorCodes.WORKFLOW_FAILED,
        message: `${failed.length} of ${then.count} batch items failed, so "then" (${then.handler}) did not run: ${list}${failed.length > 5 ? ", ..." : ""}`,
        retryable: false,
      };
      // the reduce result is written once: a later item's copy is a duplicate
      {
        // inside a chain the chain's result is its last step's: that is the one that fails
        const last = then.next?.at(-1) ?? then;
        return this.publishFailed({ id: last.id, batch, handler: last.handler }, error, `${last.id}.failed`);
      }
    }
    const job: JobV1 = {
      v: 1,
      id: then.id,
      batch,
      handler: then.handler,
      payload: items.map((r) => (r.ok ? r.value ?? null : null)),
      submitted_at: Date.now(),
      attempts: then.attempts,
      timeout_ms: then.timeout_ms,
      priority: then.priority,
      next: then.next,
    };
    const bytes = encodeJob(job);
    const max = (this.nc.info?.max_payload ?? 1024 * 1024) - 1024;
    if (bytes.byteLength > max) {
      // cannot be sent, now or later: say so in the reduce step's result instead of retrying the items
      const error: WireError = {
        code: ErrorCodes.WORKFLOW_FAILED,
        message: `the ${then.count} items' values are ${bytes.byteLength} bytes together, over the ${max} bytes a job may carry, so "then" (${then.handler}) cannot be sent; return smaller values (documents belong in ctx.output()) or reduce in smaller batches`,
        retryable: false,
      };
      {
        // inside a chain the chain's result is its last step's: that is the one that fails
        const last = then.next?.at(-1) ?? then;
        return this.publishFailed({ id: last.id, batch, handler: last.handler }, error, `${last.id}.failed`);
      }
    }
    const ack = await this.js.publish(prioritySubject(job.handler, job.priority), bytes, { msgID: job.id });
    if (this.index && !ack.duplicate) await this.indexed(() => this.index!.added({ ...entryOfJob(job, "queued"), task_seq: ack.seq }));
  }

  /** The results of items `<batch>-0 .. <batch>-(count-1)` in order, or undefined while some are missing. */
  private async itemResults(batch: string, count: number, prefix = batch): Promise<ResultV1[] | undefined> {
    const consumer = await this.js.consumers.get(STREAM_RESULTS, { filter_subjects: batchResults(batch), deliver_policy: DeliverPolicy.LastPerSubject });
    try {
      let pending = (await consumer.info(true)).num_pending;
      if (pending < count) return undefined;
      const byId = new Map<string, ResultV1>();
      while (pending > 0) {
        const m = await consumer.next({ expires: 2000 });
        if (!m) break;
        pending = m.info.pending;
        try {
          const r = decodeResult(m.data);
          byId.set(r.id, r);
        } catch {
          /* not a docctl result (a foreign publisher on a results subject): not a step's */
        }
      }
      const out: ResultV1[] = [];
      for (let i = 0; i < count; i++) {
        const r = byId.get(`${prefix}-${i}`);
        if (!r) return undefined;
        out.push(r);
      }
      return out;
    } finally {
      // an ordered (ephemeral) consumer: if the delete fails the server drops it after its inactivity threshold
      await consumer.delete().catch(() => {});
    }
  }

  private async publishFailed(job: { id: string; batch: string; handler: string }, error: WireError, msgID?: string): Promise<void> {
    const now = Date.now();
    const r: ResultV1 = { v: 1, ...job, ok: false, error, attempts: 0, worker: this.worker, started_at: now, finished_at: now };
    // first result wins: a reduce step cancelled (or already failed) keeps that result
    const w = await publishResultOnce(this.js, resultSubject(job.batch, job.id), encodeResult(r), msgID);
    if (w === "stored" && this.index) await this.indexed(() => this.index!.moved(entryOfResult(r)));
  }
}
