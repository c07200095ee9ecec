// A job as `docctl job` and `docctl jobs` show it, and where running jobs are read from (the workers'
// presence: a running job is not written to the index, it would double the writes per job).
import type { NatsConnection } from "@nats-io/transport-node";
import type { ResultV1 } from "../protocol/codec.ts";
import type { JobProgressV1 } from "../protocol/control.ts";
import type { WireError } from "../protocol/errors.ts";
import type { AttemptV1, JobEntryV1 } from "../protocol/job-entry.ts";
import type { Priority } from "../protocol/subjects.ts";
import { listWorkers } from "./fleet.ts";

export const JOB_STATES = ["scheduled", "queued", "retrying", "running", "done", "failed", "cancelled", "dead"] as const;
/** Where a job stands: scheduled, queued, retrying, running, done, failed, cancelled or dead. */
export type JobState = (typeof JOB_STATES)[number];

/** A node of a workflow tree: a step with its state, a batch step with its items. */
export interface WorkflowNode {
  id: string;
  handler: string;
  state?: JobState;
  /** a batch step: its items (as far as they were published), and how many there are ("each": known once published) */
  items?: WorkflowNode[];
  batch?: number | "each";
  /** the step waits this long after the previous one (ms) */
  delay_ms?: number;
}

/** One job as `docctl job ID` shows it. */
export interface JobInfo {
  id: string;
  state: JobState;
  batch?: string;
  handler?: string;
  priority?: Priority;
  submitted_at?: number;
  /** when the job entered its state (ms since epoch) */
  at?: number;
  /** scheduled: when it will be queued */
  run_at?: number;
  /** queued: jobs of its handler and priority ahead of it */
  position?: number;
  /** queued: already handed to a worker that has not started it (waiting for a free slot, or starting) */
  delivered?: boolean;
  /** running: where and since when */
  worker?: string;
  proc?: string;
  pid?: number | null;
  /** attempts used (retrying, final) or the attempt running */
  attempt?: number;
  max_attempts?: number;
  started_at?: number;
  /** retrying: the last attempt's error and when the next attempt is due */
  error?: WireError;
  next_at?: number;
  /** retrying and dead: each failed attempt (error, worker, time) */
  history?: AttemptV1[];
  progress?: JobProgressV1 & { at?: number };
  /** done, failed, cancelled, dead: the stored result */
  result?: ResultV1;
  /** a chain or batch-then: the workflow as a tree of steps with their states */
  workflow?: { kind: "chain" | "then"; steps: WorkflowNode[] };
  /** the index cursor of this entry (pass as `after` for the next page) */
  cursor?: string;
}

/** A JobInfo from an index entry. */
export function infoFromEntry(e: JobEntryV1): JobInfo {
  const info: JobInfo = { id: e.id, batch: e.batch, handler: e.handler, state: e.state, at: e.at };
  if (e.priority) info.priority = e.priority;
  if (e.submitted_at) info.submitted_at = e.submitted_at;
  if (e.run_at !== undefined) info.run_at = e.run_at;
  if (e.attempt !== undefined) info.attempt = e.attempt;
  if (e.max_attempts !== undefined) info.max_attempts = e.max_attempts;
  if (e.error) info.error = e.error;
  if (e.next_at !== undefined) info.next_at = e.next_at;
  if (e.worker) info.worker = e.worker;
  if (e.next?.length) info.workflow = { kind: "chain", steps: e.next.map((s) => ({ id: s.id, handler: s.handler })) };
  if (e.then) info.workflow = { kind: "then", steps: [{ id: e.then.id, handler: e.then.handler }] };
  return info;
}

/** Jobs running now, from the workers' presence (each names its jobs in flight). */
export async function findRunning(nc: NatsConnection, pred: (j: { id: string; batch?: string; handler?: string }) => boolean = () => true): Promise<JobInfo[]> {
  const out: JobInfo[] = [];
  for (const w of await listWorkers(nc)) {
    for (const p of w.procs) {
      for (const j of p.in_flight) {
        if (!pred(j)) continue;
        out.push({ id: j.id, batch: j.batch, handler: j.handler, state: "running", worker: w.id, proc: p.name, pid: p.pid, attempt: j.attempt, started_at: j.started_at ?? Date.now() - j.age_ms, progress: j.progress });
      }
    }
  }
  return out;
}
