// The control protocol's wire shapes (part of the v1 contract, docs/protocol.md): presence entries in KV
// bucket DOCCTL_WORKERS and request/reply on docctl.control.<id>.<verb> / docctl.control.all.<verb>.
import { BUCKET_WORKERS } from "./subjects.ts";

export { BUCKET_WORKERS };
export const CONTROL_VERBS = ["status", "pause", "resume", "drain"] as const;
export type ControlVerb = (typeof CONTROL_VERBS)[number];
export const controlSubject = (id: string, verb: ControlVerb | "*") => `docctl.control.${id}.${verb}`;

/** One proc in a presence entry. */
export interface PresenceProcV1 {
  name: string;
  /** the one handler a dedicated proc serves, null for a general one */
  handler: string | null;
  pid: number | null;
  state: string;
  /** the proc's loop state: running, paused, draining ... */
  loop: string | null;
  restarts: number;
  jobs_done: number;
  jobs_failed: number;
  /** `batch`, `attempt`, `started_at` and `progress` are optional (job control; absent from older workers) */
  in_flight: { id: string; handler: string; age_ms: number; batch?: string; attempt?: number; started_at?: number; progress?: JobProgressV1 }[];
  started_at: number | null;
  /** how the previous child of this proc ended (null before the first exit) */
  last_exit: { code: number | null; signal: string | null; ran_ms: number; planned: boolean; at: number } | null;
}

/** The last progress a running job reported (ctx.progress). */
export interface JobProgressV1 {
  fraction?: number;
  done?: number;
  total?: number;
  message?: string;
}

/** The JSON value under key `<id>` in DOCCTL_WORKERS, and the body of every control reply's `worker`. */
export interface PresenceV1 {
  v: 1;
  id: string;
  host: string;
  pid: number;
  version: string;
  /** ms since epoch */
  started_at: number;
  /** ms since epoch of this refresh */
  updated_at: number;
  state: string;
  /** jobs in flight over all procs */
  in_flight: number;
  procs: PresenceProcV1[];
  labels: Record<string, string>;
  /** the job types this worker serves (optional: absent from workers before it was added) */
  handlers?: string[];
}

/** The reply to a control request. */
export type ControlReplyV1 =
  | { ok: true; verb: ControlVerb; worker: PresenceV1 }
  | { ok: false; id: string; error: { code: "UNKNOWN_VERB"; message: string } };

/** A presence entry not rewritten for this long (two refreshes missed) belongs to a worker that stopped answering. */
export const PRESENCE_STALE_MS = 12_000;

