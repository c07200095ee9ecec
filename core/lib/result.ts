// Results as a library user sees them: camelCase, typed by the handler's result, a union on `ok`.
import type { ResultV1 } from "../runtime/protocol/codec.ts";
import { DocctlError, keepClassNames, TimeoutError, UnreachableError, type WireError } from "../runtime/protocol/errors.ts";
import type { OutputRefV1 } from "../runtime/protocol/types.ts";

interface ResultBase {
  /** the job's id */
  id: string;
  /** its batch (a single job's batch is its own id) */
  batch: string;
  handler: string;
  /** deliveries used, including the last one */
  attempts: number;
  /** the worker that produced the result */
  worker: string;
  /** ms since the Unix epoch */
  startedAt: number;
  finishedAt: number;
  /** the document the job stored, if any (inline `data`, or `bucket` + `name` in the object store) */
  output?: OutputRefV1;
}

/** A job's outcome: `{ ok: true, value }` or `{ ok: false, error: { code, message, retryable } }`. */
export type JobResult<R = unknown> =
  | (ResultBase & { ok: true; value: R; error?: undefined })
  | (ResultBase & { ok: false; value?: undefined; error: WireError });

/** The wire result in library form. */
export function fromWire<R>(r: ResultV1): JobResult<R> {
  const base: ResultBase = {
    id: r.id,
    batch: r.batch,
    handler: r.handler,
    attempts: r.attempts,
    worker: r.worker,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    ...(r.output ? { output: r.output } : {}),
  };
  return r.ok ? { ...base, ok: true, value: r.value as R } : { ...base, ok: false, error: r.error ?? { code: "UNKNOWN", message: "failed without an error", retryable: false } };
}

/** Raised when results did not all arrive in time; `results` holds those that did (input order). A TimeoutError with code `"RESULT_TIMEOUT"`. */
export class ResultTimeoutError extends TimeoutError {
  /** ids of the jobs whose results did not come */
  missing: string[];
  /** the results that did come, in input order (undefined where none came) */
  results: (JobResult | undefined)[];
  constructor(message: string, missing: string[], results: (JobResult | undefined)[]) {
    super(message, { code: "RESULT_TIMEOUT" });
    this.name = "ResultTimeoutError";
    this.missing = missing;
    this.results = results;
  }
}

/**
 * Raised when NATS could not be reached for longer than the client's `unreachableGraceMs` (or not at
 * all on first use): the job(s) may still run and their results may still come; read them later with
 * `client.result(id)`. `results` holds those that did arrive (input order), when waiting for some.
 * An UnreachableError with code `"NATS_UNREACHABLE"`.
 */
export class NatsUnreachableError extends UnreachableError {
  /** ids of the jobs whose results did not come (empty for calls that wait for no result) */
  missing: string[];
  /** the results that did come, in input order (undefined where none came) */
  results: (JobResult | undefined)[];
  constructor(message: string, missing: string[] = [], results: (JobResult | undefined)[] = [], opts?: ErrorOptions) {
    super(message, { ...opts, code: "NATS_UNREACHABLE" });
    this.name = "NatsUnreachableError";
    this.missing = missing;
    this.results = results;
  }
}
/** Raised by `Client.run()` when the job ended with a failed result. Code `"JOB_FAILED"`; the job's own code is `jobCode`. */
export class JobFailedError extends DocctlError {
  /** the failed result */
  readonly result: JobResult & { ok: false };
  /** the job's error code (HANDLER_ERROR, BAD_PAYLOAD, TIMEOUT ... or the handler's own) */
  readonly jobCode: string;
  constructor(result: JobResult & { ok: false }) {
    super("JOB_FAILED", `job ${result.id} (${result.handler}) failed after ${result.attempts} attempt${result.attempts === 1 ? "" : "s"}: ${result.error.code}: ${result.error.message}`);
    this.result = result;
    this.jobCode = result.error.code;
    this.name = "JobFailedError";
  }
}
keepClassNames({ ResultTimeoutError, NatsUnreachableError, JobFailedError });
