// A planned job turned into the bytes published: checked first for what would make it unreadable for
// every worker, then encoded and held to the server's max_payload.
import { MAX_TIMEOUT_MS, encodeJob, jobHash, payloadProblem, type JobV1 } from "../protocol/codec.ts";
import { InputError } from "../protocol/errors.ts";
import { tokenProblem } from "../protocol/subjects.ts";
import type { PlannedJob } from "./jobfile.ts";

/**
 * The job `j` (input index `i`) of `batch` on the wire, and its hash; throws an InputError naming the
 * job (and `source`, the job file it came from, when there is one).
 */
export function encodePlannedJob(j: PlannedJob, batch: string, i: number, maxPayload: number, now = Date.now(), source?: string): { bytes: Uint8Array; hash: string; job: JobV1 } {
  const problem = jobProblem(j, batch, i, source);
  if (problem) throw new InputError(problem);
  const job = toJob(j, batch, now);
  const bytes = encodeJob(job);
  if (bytes.byteLength + 512 > maxPayload) {
    throw new InputError(
      `${source ? `${source}: ` : ""}job [${i}] ("${j.id}") is ${bytes.byteLength} bytes encoded, over the server's limit of ${maxPayload} bytes. ` +
        `Put large inputs in the object store (templates) and send a reference, or raise max_payload on the server.`,
    );
  }
  return { bytes, hash: job.hash!, job };
}

// What would make a job unreadable for every worker, said before anything is published: ids derived
// from a long batch id past the token limit, payloads nested past the wire's depth or holding a
// "__proto__" key (msgpack decoders refuse it), a time limit no timer can wait.
export function jobProblem(j: PlannedJob, batch: string, i: number, source?: string): string | undefined {
  const where = `${source ? `${source}: ` : ""}job [${i}]${j.id ? ` ("${j.id.length > 60 ? `${j.id.slice(0, 60)}…` : j.id}")` : ""}`;
  const id = tokenProblem(j.id);
  if (id) return `${where}: its id ${id}${j.id.startsWith(`${batch}-`) && batch.length > 100 ? ` (ids of a batch are "<batch>-<n>": use a batch id of at most ${128 - 1 - String(i).length - 4} characters)` : ""}`;
  const b = tokenProblem(batch);
  if (b) return `the batch id ${b}`;
  const p = payloadProblem(j.payload, `${where} payload`);
  if (p) return p;
  if (j.timeout_ms !== undefined && j.timeout_ms > MAX_TIMEOUT_MS) {
    return `${where}: "timeout_ms" is ${j.timeout_ms}, over the longest time limit ${MAX_TIMEOUT_MS} ms (24.8 days)`;
  }
  return undefined;
}

export function toJob(j: PlannedJob, batch: string, now: number): JobV1 {
  return {
    hash: jobHash({ handler: j.handler, payload: j.payload, attempts: j.attempts, timeout_ms: j.timeout_ms }),
    v: 1,
    id: j.id,
    batch,
    handler: j.handler,
    payload: j.payload,
    submitted_at: now,
    attempts: j.attempts,
    timeout_ms: j.timeout_ms,
    priority: j.priority,
    run_at: j.run_at ?? (j.delay_ms ? now + j.delay_ms : undefined),
    next: j.next,
    then: j.then,
    backoff: j.backoff,
    keep_result_ms: j.keep_result_ms,
    keep_failed_ms: j.keep_failed_ms,
  };
}
