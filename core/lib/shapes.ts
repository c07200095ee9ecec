// The library's one shape for what it reports: camelCase, results as JobResult (never the wire's
// ResultV1), a worker's jobs without JetStream's delivery details. The runtime's wire-shaped records
// are turned into these at the edge.
import type { JobInfo as WireJobInfo, JobState } from "../runtime/client/job-state.ts";
import type { LoopStats } from "../runtime/worker/loop-options.ts";
import type { Priority } from "../runtime/protocol/subjects.ts";
import { fromWire, type JobResult } from "./result.ts";

/** A running job's last progress report, as its handler sent it (`ctx.progress()`). */
export interface JobProgress {
  /** 0..1, when the handler gave one (or done/total) */
  fraction?: number;
  /** units done, when the handler counts */
  done?: number;
  /** units in all, when the handler counts */
  total?: number;
  /** what the handler says it is doing */
  message?: string;
  /** when it was reported, ms since the Unix epoch */
  at?: number;
}

/** Where a job stands (`client.job(id)`): its state, and what is known of it in that state. */
export interface JobInfo<R = unknown> {
  /** the job's id */
  id: string;
  /** scheduled, queued, retrying, running, done, failed, cancelled or dead */
  state: JobState;
  /** when it entered its state, ms since the Unix epoch (from the job index) */
  at?: number;
  /** its batch (a single job's batch is its own id) */
  batch?: string;
  /** its handler */
  handler?: string;
  /** its priority, when not "normal" */
  priority?: Priority;
  /** when it was submitted, ms since the Unix epoch */
  submittedAt?: number;
  /** scheduled: when it will be queued, ms since the Unix epoch */
  runAt?: number;
  /** queued: jobs of its handler and priority ahead of it */
  position?: number;
  /** queued: already handed to a worker that has not started it (waiting for a free slot, or starting) */
  delivered?: boolean;
  /** running: the worker running it */
  worker?: string;
  /** running: the worker's proc (`embedded` for a library Worker) */
  proc?: string;
  /** running: the proc's process id, when known */
  pid?: number;
  /** running: the attempt, 1-based; retrying and finished: the attempts used */
  attempt?: number;
  /** the job's attempts at most, when it said */
  maxAttempts?: number;
  /** retrying: the last attempt's error; failed, dead, cancelled: the error */
  error?: { code: string; message: string; retryable: boolean };
  /** retrying: when the next attempt is due, ms since the Unix epoch */
  nextAt?: number;
  /** retrying and dead: each failed attempt (error, worker, time, the handler's stack) */
  history?: { attempt: number; at: number; worker: string; error: { code: string; message: string; retryable: boolean }; stack?: string }[];
  /** in a page of client.jobs(): this job's cursor (pass as `after` to start after it) */
  cursor?: string;
  /** running: when the attempt started, ms since the Unix epoch */
  startedAt?: number;
  /** running: its last progress report */
  progress?: JobProgress;
  /** done, failed, cancelled, dead: its result */
  result?: JobResult<R>;
  /** a chain or batch-then: its steps still to come, or the members of the batch seen */
  workflow?: { kind: "chain" | "then"; steps: { id: string; handler: string; state?: JobState }[] };
}

/** A job a Worker is running. */
export interface RunningJob {
  /** the job's id */
  id: string;
  /** its batch */
  batch?: string;
  /** its handler */
  handler: string;
  /** when the attempt started, ms since the Unix epoch */
  startedAt: number;
  /** the attempt's time limit, ms */
  timeoutMs?: number;
  /** the attempt, 1-based */
  attempt?: number;
  /** the job's attempts at most */
  maxAttempts?: number;
  /** its last progress report */
  progress?: JobProgress;
}

/** What a Worker is doing (`worker.stats()`). */
export interface WorkerStats {
  /** starting (before start() is done), running, paused, draining or stopped */
  state: "starting" | "running" | "paused" | "draining" | "stopped";
  /** jobs that succeeded */
  jobsDone: number;
  /** jobs that failed for good */
  jobsFailed: number;
  /** failed attempts that were retried */
  jobsRetried: number;
  /** the jobs running now */
  inFlight: RunningJob[];
}

/** The runtime's job record in the library's shape. */
export function toJobInfo<R = unknown>(j: WireJobInfo): JobInfo<R> {
  const out: JobInfo<R> = { id: j.id, state: j.state };
  const set = <K extends keyof JobInfo<R>>(k: K, v: JobInfo<R>[K] | undefined | null) => {
    if (v !== undefined && v !== null) out[k] = v;
  };
  set("batch", j.batch);
  set("handler", j.handler);
  set("priority", j.priority);
  set("submittedAt", j.submitted_at);
  set("runAt", j.run_at);
  set("position", j.position);
  set("delivered", j.delivered);
  set("worker", j.worker);
  set("proc", j.proc);
  set("pid", j.pid);
  set("attempt", j.attempt);
  set("at", j.at);
  set("maxAttempts", j.max_attempts);
  set("error", j.error);
  set("nextAt", j.next_at);
  set("history", j.history);
  set("cursor", j.cursor);
  set("startedAt", j.started_at);
  set("progress", j.progress ? { ...j.progress } : undefined);
  set("result", j.result ? fromWire<R>(j.result) : undefined);
  set("workflow", j.workflow);
  return out;
}

/** A loop's stats in the library's shape: no ack subject, no JetStream delivery count. */
export function toWorkerStats(s: LoopStats): WorkerStats {
  return {
    state: s.state,
    jobsDone: s.jobsDone,
    jobsFailed: s.jobsFailed,
    jobsRetried: s.jobsRetried,
    inFlight: s.inFlight.map((j) => {
      const r: RunningJob = { id: j.id, handler: j.handler, startedAt: j.startedAt };
      if (j.batch !== undefined) r.batch = j.batch;
      if (j.timeoutMs !== undefined) r.timeoutMs = j.timeoutMs;
      if (j.attempt !== undefined) r.attempt = j.attempt;
      if (j.maxAttempts !== undefined) r.maxAttempts = j.maxAttempts;
      if (j.progress) r.progress = { ...j.progress };
      return r;
    }),
  };
}
