// The handler API: what a job type (built-in or plugin) implements, and what it is given per job.
import type { Logger } from "./logger.ts";

/**
 * A document produced by a job (wire field `output`): small ones travel inline in `data`, larger
 * ones are in the JetStream object store (`bucket` + `name`). Exactly one of the two is present.
 */
export interface OutputRefV1 {
  bucket?: string;
  name?: string;
  /** the bytes themselves, for documents up to the inline limit (256 KiB by default) */
  data?: Uint8Array;
  size: number;
  /** hex SHA-256 of the bytes */
  sha256: string;
  content_type: string;
  /** the file name the submitter should write it as */
  filename?: string;
}

/** Everything a handler gets besides its payload. */
export interface JobContext {
  /** job id (subject-safe token) */
  id: string;
  /** batch id; a single job's batch is its own id */
  batch: string;
  /** the job type */
  handler: string;
  /** 1 on the first delivery, 2 on the first retry, ... */
  attempt: number;
  /** maximum attempts for this job */
  maxAttempts: number;
  /** aborted when the job times out or the proc must stop at once; long work should listen */
  signal: AbortSignal;
  /** tell JetStream the job is still being worked on (called automatically every few seconds too) */
  heartbeat(): void;
  /** store a document in the outputs object store; the job's result names it (at most one per job: the last wins) */
  output(bytes: Uint8Array, opts: { filename: string; contentType: string }): Promise<OutputRefV1>;
  /** per-job logger (the one Logger type): every line carries the job id and type, and is kept with the job */
  log: Logger;
  /** the worker's id (host + pid, or --name) */
  worker: string;
  /**
   * report how far the job is: a fraction (`0.4`) or `{done, total, message}`. Shown by `docctl submit`,
   * `docctl job ID` and the dashboard; reports closer than 100 ms are folded. Never fails the job.
   */
  progress(p: number | { done?: number; total?: number; message?: string }): Promise<void>;
}

/**
 * A JSON-Schema (draft 2020-12 subset understood by Ajv) describing the payload. A payload that
 * fails it gets a failed result with code BAD_PAYLOAD and is never retried.
 */
export type PayloadSchema = Record<string, unknown>;

/** The object form of a handler. A plugin file may also default-export a bare function (= `handle`). */
export interface HandlerDef<P = any, R = unknown> {
  handle(payload: P, ctx: JobContext): R | Promise<R>;
  /** JSON Schema for the payload, checked before `handle` */
  schema?: PayloadSchema;
  /** default time limit of one attempt, in ms (a job's `timeout_ms` overrides it) */
  timeoutMs?: number;
  /** attempts before the job is dead-lettered (default 3) */
  maxAttempts?: number;
  /**
   * how this handler's retries are spaced when a job does not say: `{ type: "exponential", delay: "2s", max: "10m" }`,
   * `{ type: "fixed", delay: "5s" }` or a list of delays `["1s", "10s"]` (default: the worker's --retry-base, doubling)
   */
  backoff?: unknown;
  /** runs once per proc before the first job (open a browser, a connection ...) */
  setup?(): void | Promise<void>;
  /** runs once per proc when it drains or stops */
  teardown?(): void | Promise<void>;
  /** one-line description for `docctl handlers` and docs */
  description?: string;
  /**
   * a plugin file named like a built-in handler (echo, pdf, title) replaces it only with this set;
   * without it the worker refuses to start, naming both
   * @defaultValue false
   */
  override?: boolean;
}

/** A plugin module's default export. */
export type HandlerModule = HandlerDef | ((payload: any, ctx: JobContext) => unknown);
