// Running planned jobs for the Client: submit a plan and wait for its results, stream a batch's
// results in input order, and refuse a job id reused after the duplicate window.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PlannedJob, SubmitPlan } from "../runtime/client/jobfile.ts";
import { findJobEntry } from "../runtime/client/job-index.ts";
import { startBatch, submitPlan, type SubmitOutcome } from "../runtime/client/submit.ts";
import type { ProgressV1 } from "../runtime/protocol/codec.ts";
import { STREAM_TASKS } from "../runtime/protocol/subjects.ts";
import { InputError } from "../runtime/protocol/errors.ts";
import { isTransientNatsError } from "../runtime/nats/errors.ts";
import { fromWire, NatsUnreachableError, ResultTimeoutError, type JobResult } from "./result.ts";
import { clientDefaults, type ClientOptions, type JobOptions, type StreamBatchOptions, type SubmitBatchOptions } from "./client-options.ts";
import type { ClientConnection } from "./client-connection.ts";
import { batchId, forLibrary, job, times } from "./job-plan.ts";

/** Submit `jobs` as one plan and wait for every result (in the order of `jobs`). */
export async function runJobs<R>(
  conn: ClientConnection,
  copts: ClientOptions,
  batch: string,
  jobs: PlannedJob[],
  opts: JobOptions & { onProgress?: SubmitBatchOptions["onProgress"] },
  plan: Partial<SubmitPlan> = {},
): Promise<JobResult<R>[]> {
  const nc = await conn.get();
  const graceMs = conn.graceMs;
  const kind = plan.kind ?? (jobs.length === 1 && jobs[0]!.id === batch ? "single" : "batch");
  const out: SubmitOutcome = await submitPlan(nc, { kind, batch, jobs, size: jobs.length, handlers: plan.handlers ?? [...new Set(jobs.map((j) => j.handler))], ...times(jobs) }, {
    timeoutMs: opts.waitMs ?? copts.waitMs ?? clientDefaults.waitMs,
    onProgress: opts.onProgress,
    onJobProgress: opts.onJobProgress ? (p: ProgressV1) => opts.onJobProgress!({ ...p }) : undefined,
    topology: copts.topology,
    lostGraceMs: graceMs,
    create: opts.create,
  }).catch((err) => {
    if (isTransientNatsError(err)) throw new NatsUnreachableError(`NATS did not answer within ${graceMs}ms (unreachableGraceMs): ${(err as Error).message}`, jobs.map((j) => j.id), [], { cause: err });
    forLibrary(err);
  });
  const results = out.results.map((r) => (r ? fromWire<R>(r) : undefined));
  const missing = jobs.filter((_, i) => !results[i]).map((j) => j.id);
  if (missing.length && out.lost) {
    throw new NatsUnreachableError(
      `lost the connection to NATS and it did not come back within ${graceMs}ms (unreachableGraceMs): ${missing.length} of ${jobs.length} results ` +
        `did not arrive (first missing: ${missing[0]}); the jobs may still run: read their results later with client.result(id)`,
      missing,
      results,
    );
  }
  if (missing.length) {
    throw new ResultTimeoutError(
      `${missing.length} of ${jobs.length} results did not arrive within ${opts.waitMs ?? copts.waitMs ?? clientDefaults.waitMs}ms ` +
        `(first missing: ${missing[0]}); they may still come: read them later with client.result(id)`,
      missing,
      results,
    );
  }
  return results as JobResult<R>[];
}

/** Submit `payloads` as a batch within `window` and hand the results out in input order. */
export async function* streamResults<R = unknown>(
  conn: ClientConnection,
  copts: ClientOptions,
  handler: string,
  payloads: Iterable<unknown> | AsyncIterable<unknown>,
  opts: StreamBatchOptions,
): AsyncGenerator<JobResult<R>, void, undefined> {
  const batch = batchId(opts, "streamBatch");
  const nc = await conn.get();
  const graceMs = conn.graceMs;
  async function* jobs() {
    let i = 0;
    for await (const payload of payloads) yield job(handler, `${batch}-${i++}`, payload, opts);
  }
  const waitMs = opts.waitMs ?? copts.waitMs ?? clientDefaults.waitMs;
  const run = await startBatch(nc, { kind: "batch", batch, handlers: [job(handler, batch, null, opts).handler], jobs: jobs() }, {
    timeoutMs: waitMs,
    window: opts.window,
    onProgress: opts.onProgress,
    onJobProgress: opts.onJobProgress,
    topology: copts.topology,
    lostGraceMs: graceMs,
    create: opts.create,
  }).catch(forLibrary);
  let handed = 0;
  try {
    for await (const { result } of run) {
      handed++;
      yield fromWire<R>(result);
    }
  } finally {
    run.stop();
  }
  const s = run.summary();
  if (s.missing > 0) {
    const missing = Array.from({ length: s.submitted - handed }, (_, k) => `${batch}-${handed + k}`);
    if (s.lost) {
      throw new NatsUnreachableError(
        `lost the connection to NATS and it did not come back within ${graceMs}ms (unreachableGraceMs): ` +
          `${s.missing} of ${s.submitted} submitted results did not arrive (first missing: ${missing[0]}); they may still come: read them later with client.result(id)`,
        missing,
        [],
      );
    }
    throw new ResultTimeoutError(
      `${s.missing} of ${s.submitted} submitted results did not arrive within ${waitMs}ms (first missing: ${missing[0]}); ` +
        `they may still come: read them later with client.result(id)`,
      missing,
      [],
    );
  }
}

/**
 * A job id whose job finished before the duplicate window: inside the window a re-submit is a no-op
 * that returns the first result; after it, it would run again without a word. Refused (rerun: true runs it).
 */
export async function refuseReused(nc: NatsConnection, id: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  // the index cannot be read now: the job is submitted, and the dedupe window still guards a re-run
  const f = await findJobEntry(jsm, id).catch(() => undefined);
  if (!f || !["done", "failed", "cancelled", "dead"].includes(f.entry.state)) return;
  const window = await jsm.streams
    .info(STREAM_TASKS)
    .then((si) => Math.floor(si.config.duplicate_window / 1e6))
    .catch(() => 15 * 60_000);
  const since = f.entry.submitted_at ?? f.entry.at;
  if (Date.now() - since <= window) return;
  throw new InputError(
    `job id "${id}" was used by a job submitted ${new Date(since).toISOString()} that is ${f.entry.state}; the duplicate window (${Math.round(window / 1000)} s) has passed, so it would run again: pass { rerun: true } to run it again, or use a new id`,
  );
}
