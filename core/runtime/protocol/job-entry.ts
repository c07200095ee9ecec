// The job index's wire: one entry per job id on `docctl.jobs.<state>.<handler>.<id>.<batch>` in the
// DOCCTL_JOBS stream (docs/protocol.md, "Job index"). State and handler are subject tokens so that
// listing and counting by them is done by the server (subject filters, consumer num_pending).
import { Decoder, Encoder } from "@msgpack/msgpack";
import type { WireError } from "./errors.ts";
import type { Priority } from "./subjects.ts";
import { STREAM_JOBS, jobEntryFilter, jobEntrySubject } from "./subjects.ts";

/** The stream of the job index: one message per job id, kept by per-message TTLs (see docs/jobs.md). */
export { STREAM_JOBS };

/** States an index entry can carry; `running` is not stored, it is read from the workers' presence. */
export const INDEXED_STATES = ["scheduled", "queued", "retrying", "done", "failed", "cancelled", "dead"] as const;
export type IndexedState = (typeof INDEXED_STATES)[number];

/** One attempt that failed, as kept in retrying entries and dead letters. */
export interface AttemptV1 {
  attempt: number;
  /** ms since epoch */
  at: number;
  worker: string;
  error: WireError;
  /** the handler's stack where it threw (the first lines: plugin file:line) */
  stack?: string;
}

/** Attempts kept in an entry's and a dead letter's history, at most (the last ones). */
export const MAX_HISTORY = 25;

/** A job's index entry. */
export interface JobEntryV1 {
  v: 1;
  id: string;
  batch: string;
  handler: string;
  state: IndexedState;
  /** ms since epoch: when the job entered this state */
  at: number;
  submitted_at?: number;
  priority?: Priority;
  /** scheduled: when it is due */
  run_at?: number;
  /** retrying and final states: attempts used so far, and the job's maximum */
  attempt?: number;
  max_attempts?: number;
  /** retrying, failed, dead, cancelled: the last error */
  error?: WireError;
  /** retrying: when the next attempt is due (ms since epoch) */
  next_at?: number;
  /** retrying, failed, dead: each failed attempt so far (the last MAX_HISTORY) */
  history?: AttemptV1[];
  /** queued: the job's sequence in DOCCTL_TASKS (reprioritize finds it without a scan) */
  task_seq?: number;
  /** the worker that wrote this state */
  worker?: string;
  /** a workflow: the chain's steps still to come or a batch's reduce step (ids and handlers) */
  next?: { id: string; handler: string; batch?: number | "each"; delay_ms?: number }[];
  then?: { id: string; handler: string };
}

export { jobEntryFilter, jobEntrySubject };

/** The tokens of an index subject, or undefined when it is not one. */
export function parseJobEntrySubject(subject: string): { state: IndexedState; handler: string; id: string; batch: string } | undefined {
  const t = subject.split(".");
  if (t.length !== 6 || t[0] !== "docctl" || t[1] !== "jobs" || !(INDEXED_STATES as readonly string[]).includes(t[2]!)) return undefined;
  return { state: t[2] as IndexedState, handler: t[3]!, id: t[4]!, batch: t[5]! };
}

const encoder = new Encoder({ ignoreUndefined: true, maxDepth: 16 });
const decoder = new Decoder();

export const encodeJobEntry = (e: JobEntryV1): Uint8Array => encoder.encode(e);

/** Decodes an entry; the subject's tokens win over the body (a schedule fires the body onto the queued subject). */
export function decodeJobEntry(bytes: Uint8Array, subject?: string): JobEntryV1 | undefined {
  let e: JobEntryV1;
  try {
    e = decoder.decode(bytes) as JobEntryV1;
  } catch {
    return undefined; // not msgpack: a foreign message in the job index, skipped by its readers
  }
  if (!e || typeof e !== "object" || typeof e.id !== "string") return undefined;
  const s = subject ? parseJobEntrySubject(subject) : undefined;
  if (s) e = { ...e, ...s };
  return e;
}
