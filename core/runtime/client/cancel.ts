// `docctl cancel`: a cancel marker every worker and mover watches, plus the CANCELLED result at once
// for jobs that are not running (so a waiting submit returns now, not when a worker reaches the job).
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { hostname } from "node:os";
import { decodeResult, type JobV1 } from "../protocol/codec.ts";
import type { CancelV1 } from "../protocol/jobcontrol.ts";
import { STREAM_RESULTS, STREAM_TASKS, resultSubject, tokenProblem } from "../protocol/subjects.ts";
import { ErrorCodes, InputError } from "../protocol/errors.ts";
import { cancelBucket } from "../nats/buckets.ts";
import { publishCancelled } from "../nats/cancelled.ts";
import { readDelayed } from "../nats/delays.ts";
import type { ResultWrite } from "../nats/result-once.ts";
import { jobInfo, listJobs, type JobInfo, type JobState } from "./job-state.ts";
import { findRunning } from "./job-info.ts";
import { queryJobs } from "./job-index.ts";
import { JobIndexWriter } from "../nats/job-index.ts";

/** What cancelling one job did. */
export interface CancelOutcome {
  id: string;
  /** the state it was found in (undefined: nothing known about it) */
  was?: JobState;
  /** cancelled: it will not run, or its signal was aborted; finished: too late; unknown: marked anyway */
  outcome: "cancelled" | "aborting" | "finished" | "unknown";
}

/**
 * Cancel jobs by id: scheduled and queued ones never run, running ones get their ctx.signal aborted. A
 * finished job is left as it is (`outcome: "finished"`, `was` its end state): its result is never replaced.
 */
export async function cancelJobs(nc: NatsConnection, ids: string[]): Promise<CancelOutcome[]> {
  for (const id of ids) {
    const p = tokenProblem(id);
    if (p) throw new InputError(`job id "${id}" ${p}`);
  }
  const kv = await cancelBucket(nc);
  const out: CancelOutcome[] = [];
  for (const id of ids) {
    const marker = JSON.stringify({ v: 1, at: Date.now(), by: `${hostname()}/${process.pid}` } satisfies CancelV1);
    // Running where a worker's presence shows it (one read): its signal is aborted through the marker.
    if ((await findRunning(nc, (j) => j.id === id)).length) {
      await kv.put(id, marker);
      out.push({ id, was: "running", outcome: "aborting" });
      continue;
    }
    // The marker goes out while we look where the job is (which takes a few requests), not after: a
    // worker running the job aborts it at once, one taking it from now on drops it. A job found finished
    // gets its marker removed again (its result stands; a later job under the id must not be dropped).
    const [info] = await Promise.all([jobInfo(nc, id), kv.put(id, marker)]);
    if (info && ["done", "failed", "cancelled", "dead"].includes(info.state)) {
      // the marker of a finished job: if it stays, its TTL ends it, and a finished job is never cancelled
      await kv.delete(id).catch(() => {});
      // cancelled (by this marker, a moment ago, or earlier): it is; anything else ended first and stands
      out.push({ id, was: info.state, outcome: info.state === "cancelled" ? "cancelled" : "finished" });
      continue;
    }
    if (!info) {
      out.push({ id, outcome: "unknown" });
      continue;
    }
    if (info.state === "running") {
      out.push({ id, was: "running", outcome: "aborting" });
      continue;
    }
    const job = { id, batch: info.batch ?? id, handler: info.handler ?? info.workflow?.steps.at(-1)?.handler ?? "unknown" };
    if ((await settle(nc, job, info.state)) === "taken") {
      out.push(await settledMeanwhile(nc, job, info.state));
      continue;
    }
    await cancelReduce(nc, info);
    out.push({ id, was: info.state, outcome: "cancelled" });
  }
  return out;
}

/** Cancel every job of batch `batch` (a chain's id is its batch): one marker for the batch, results for the waiting ones. */
export async function cancelBatch(nc: NatsConnection, batch: string): Promise<CancelOutcome[]> {
  const p = tokenProblem(batch);
  if (p) throw new InputError(`batch id "${batch}" ${p}`);
  const kv = await cancelBucket(nc);
  // listed before the marker is set: once set, workers drop the batch's jobs as they take them
  const found: { state: JobState; jobs: JobInfo[] }[] = [];
  for (const state of ["scheduled", "queued", "retrying", "running"] as const) {
    const jobs: JobInfo[] = [];
    for (let after: string | undefined, page; (page = await queryJobs(nc, { state, batch, limit: 1000, after })).jobs.length; after = page.next) {
      jobs.push(...page.jobs);
      if (!page.next) break;
    }
    // a job from before the job index (or a foreign client's): found the old way
    if (state !== "retrying" && !jobs.length) jobs.push(...(await listJobs(nc, { state, limit: 100_000 })).filter((j) => j.batch === batch));
    found.push({ state, jobs });
  }
  await kv.put(batch, JSON.stringify({ v: 1, at: Date.now(), by: `${hostname()}/${process.pid}` } satisfies CancelV1));
  const out: CancelOutcome[] = [];
  for (const { state, jobs } of found) {
    for (const j of jobs) {
      if (state === "running") out.push({ id: j.id, was: state, outcome: "aborting" });
      else if ((await settle(nc, { id: j.id, batch, handler: j.handler ?? "unknown" }, state)) === "taken") {
        out.push(await settledMeanwhile(nc, { id: j.id, batch }, state));
      } else {
        await cancelReduce(nc, j);
        out.push({ id: j.id, was: state, outcome: "cancelled" });
      }
    }
  }
  return out;
}

// An item of a batch with "then" that will never run: the reduce step will not run either (its result
// is written here, since no worker will see the item finish).
async function cancelReduce(nc: NatsConnection, info: JobInfo): Promise<void> {
  const then = info.workflow?.kind === "then" ? info.workflow.steps[0] : undefined;
  if (!then || !info.batch) return;
  await publishCancelled(nc, { id: then.id, batch: info.batch, handler: then.handler }, `docctl-cancel@${hostname()}`, `batch item ${info.id} was cancelled`);
}

// A scheduled (delayed) job's schedule is removed from the server; a queued one stays (a work queue has no delete by
// id) and is dropped by the worker that takes it. Either way its CANCELLED result is written now.
// The write is first-result-wins: a job that finished after the look keeps its own result ("taken").
async function settle(nc: NatsConnection, job: Pick<JobV1, "id" | "batch" | "handler">, state: JobState): Promise<ResultWrite> {
  if (state === "scheduled") {
    const jsm = await jetstreamManager(nc);
    // best effort: a delayed job not found here is cancelled by its marker when it fires
    const d = await readDelayed(jsm, job.id).catch(() => undefined);
    if (d) {
      Object.assign(job, { batch: d.job.batch, handler: d.job.handler });
      // fired meanwhile: the marker cancels it when a worker takes it
      await jsm.streams.deleteMessage(STREAM_TASKS, d.seq, false).catch(() => false);
    }
  }
  const why = `cancelled while ${state} (docctl cancel)`;
  const w = await publishCancelled(nc, job, `docctl-cancel@${hostname()}`, why);
  if (w === "stored") {
    // the job index says so now; a queued job's message stays until a worker drops it
    const writer = new JobIndexWriter(nc);
    try {
      await writer.moved({ v: 1, id: job.id, batch: job.batch, handler: job.handler, state: "cancelled", at: Date.now(), error: { code: "CANCELLED", message: `cancelled: ${why}`, retryable: false } });
    } catch {
      /* best effort: the worker that drops it writes it too */
    } finally {
      writer.close();
    }
  }
  return w;
}

// Our CANCELLED result was refused: another final result was stored between the look and the write.
// A worker that saw the marker wrote CANCELLED (cancelled, as asked), or the job ended first (it stands).
// The stored result is read, not the job index: the worker updates the index just after the result, so
// the index can still say "queued" here (and the cancel printed "already queued: nothing to cancel").
async function settledMeanwhile(nc: NatsConnection, job: { id: string; batch: string }, was: JobState): Promise<CancelOutcome> {
  const jsm = await jetstreamManager(nc);
  const m = await jsm.streams.getMessage(STREAM_RESULTS, { last_by_subj: resultSubject(job.batch, job.id) });
  const r = m ? decodeResult(m.data) : undefined;
  if (r?.ok) return { id: job.id, was: "done", outcome: "finished" };
  if (r) return r.error?.code === ErrorCodes.CANCELLED ? { id: job.id, was, outcome: "cancelled" } : { id: job.id, was: "failed", outcome: "finished" };
  // refused, yet gone: a retention purge; what the job index says now
  const now = (await jobInfo(nc, job.id))?.state;
  return now === "cancelled" ? { id: job.id, was, outcome: "cancelled" } : { id: job.id, was: now ?? "done", outcome: "finished" };
}
