// The CANCELLED result of a job that will not run (cancelled while scheduled or queued, or a batch's
// reduce step whose item was cancelled).
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { encodeResult, type JobV1 } from "../protocol/codec.ts";
import { ErrorCodes } from "../protocol/errors.ts";
import { resultSubject } from "../protocol/subjects.ts";
import { publishResultOnce, type ResultWrite } from "./result-once.ts";

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
