// Submitting jobs and collecting their results (in input order), usable from code and from the CLI.
// The pieces: submit-preflight.ts (checks before publishing), job-encoding.ts, batch-run.ts (a batch in
// flight) with publish-window.ts, reorder-buffer.ts, result-collector.ts, output-file.ts, connection-loss.ts.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PlannedJob, SubmitPlan } from "./jobfile.ts";
import { newId } from "./jobfile.ts";
import type { BatchRun, SubmitRunOptions, SubmitOutcome, CollectedResult } from "./submit-options.ts";
import { preflight } from "./submit-preflight.ts";
import { Run } from "./batch-run.ts";

export { submitDefaults, type BatchRun, type BatchSummary, type CollectedResult, type OrderedResult, type SubmitRunOptions, type SubmitOutcome } from "./submit-options.ts";
export { readResult } from "./result-collector.ts";
export { saveOutput } from "./output-file.ts";

/** Publish every job of `plan` (deduplicated by id) and, unless told not to, wait for their results. */
export async function submitPlan(nc: NatsConnection, plan: SubmitPlan, opts: SubmitRunOptions = {}): Promise<SubmitOutcome> {
  const ids: string[] = [];
  const results: (CollectedResult | undefined)[] = [];
  const run = await startBatch(nc, plan, { ...opts, onPublished: (id, i, dup) => ((ids[i] = id), opts.onPublished?.(id, i, dup)) });
  for await (const { index, result } of run) results[index] = result;
  results.length = ids.length;
  const s = run.summary();
  return { batch: s.batch, ids, results, duplicates: s.duplicates, timedOut: s.timedOut, ...(s.lost ? { lost: true } : {}) };
}

/** Library form of a map-reduce batch: run `handler` over `payloads`, results in input order. */
export async function submitBatch(
  nc: NatsConnection,
  handler: string,
  payloads: Iterable<unknown> | AsyncIterable<unknown>,
  opts: SubmitRunOptions & { batch?: string } = {},
): Promise<SubmitOutcome> {
  return submitPlan(nc, batchPlan(handler, payloads, opts.batch), opts);
}

/** Like submitBatch, but the results come as an async iterator (input order) as they arrive: any batch size. */
export async function streamBatch(
  nc: NatsConnection,
  handler: string,
  payloads: Iterable<unknown> | AsyncIterable<unknown>,
  opts: SubmitRunOptions & { batch?: string } = {},
): Promise<BatchRun> {
  return startBatch(nc, batchPlan(handler, payloads, opts.batch), opts);
}

function batchPlan(handler: string, payloads: Iterable<unknown> | AsyncIterable<unknown>, id?: string): SubmitPlan {
  const batch = id ?? newId();
  const size = Array.isArray(payloads) ? payloads.length : undefined;
  async function* jobs() {
    let i = 0;
    for await (const payload of payloads) yield { handler, id: `${batch}-${i++}`, payload };
  }
  // An array stays synchronous (no await per job).
  const sync = Array.isArray(payloads) ? payloads.map((payload, i) => ({ handler, id: `${batch}-${i}`, payload })) : undefined;
  return { kind: "batch", batch, size, handlers: [handler], jobs: sync ?? jobs() };
}

/**
 * Checks the streams and job types, then starts publishing `plan`'s jobs; the returned run hands out
 * the results. Errors before anything is published (unknown handler, NATS away) reject here.
 */
export async function startBatch(nc: NatsConnection, plan: SubmitPlan, opts: SubmitRunOptions = {}): Promise<BatchRun> {
  const known = await preflight(nc, plan, opts);
  const run = new Run(nc, jetstream(nc), plan, opts, known);
  // A file with a job that may be over the server's limit (msgpack can be ~3x a short JSON number):
  // every job is encoded once ahead, so nothing is published from a file that would fail half-way.
  const max = nc.info?.max_payload ?? 1024 * 1024;
  if (plan.largestJob !== undefined && plan.largestJob * 3 + 512 > max && Symbol.iterator in plan.jobs) {
    let i = 0;
    for (const j of plan.jobs as Iterable<PlannedJob>) run.encode(j, i++);
  }
  await run.start();
  return run;
}
