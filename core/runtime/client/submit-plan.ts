// What a submit publishes: the plan read from a job file or built by the library, and its jobs.
import { randomUUID } from "node:crypto";
import type { Priority } from "../protocol/subjects.ts";
import type { StepV1, ThenV1 } from "../protocol/codec.ts";
import type { BackoffV1 } from "../util/job-backoff.ts";

export interface PlannedJob {
  id: string;
  handler: string;
  payload: unknown;
  timeout_ms?: number;
  attempts?: number;
  /** `high` or `low`; absent = normal */
  priority?: Priority;
  /** start this long after it is submitted, ms */
  delay_ms?: number;
  /** start at this time, ms since epoch */
  run_at?: number;
  /** a chain's later steps */
  next?: StepV1[];
  /** a batch's reduce step */
  then?: ThenV1;
  /** the id whose result stands for this job: a chain's last step (the chain's id) */
  resultId?: string;
  /** not published: a result to wait for that a workflow produces (a batch's `then`) */
  virtual?: boolean;
  /** how its retries are spaced */
  backoff?: BackoffV1;
  /** how long its result / failed result is kept, ms */
  keep_result_ms?: number;
  keep_failed_ms?: number;
  /** taken before the jobs of its handler and priority waiting when it is submitted (client/lifo.ts) */
  lifo?: boolean;
}

/** What `docctl submit` will publish. */
export interface SubmitPlan {
  kind: "single" | "list" | "batch" | "chain";
  batch: string;
  /** how many jobs (undefined for a library iterable whose end is not known ahead) */
  size?: number;
  /** the job types named, when known ahead (checked against the registered ones before publishing) */
  handlers?: string[];
  /** characters of the longest job in the file: a submitter checks sizes ahead when it could be too big */
  largestJob?: number;
  /** the jobs, in input order; those of a file are parsed one by one as they are taken */
  jobs: Iterable<PlannedJob> | AsyncIterable<PlannedJob>;
  /** the job file the plan was read from, to name it in errors found later (a job too big once encoded) */
  source?: string;
  /** the longest "delay" and the latest "run_at" in the plan: checked against the delayed stream's max age */
  longestDelayMs?: number;
  latestRunAt?: number;
}

/** A new random id (subject-safe). */
export const newId = (): string => randomUUID().replaceAll("-", "").slice(0, 20);

/** A plan read from a file: its size and job types are known, its jobs can be taken more than once. */
export type FilePlan = Omit<SubmitPlan, "size" | "handlers" | "jobs"> & { size: number; handlers: string[]; largestJob: number; jobs: Iterable<PlannedJob> };

