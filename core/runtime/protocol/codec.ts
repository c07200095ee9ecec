// The one codec of the v1 wire: msgpack maps for jobs, results and dead letters, checked on the way in.
import { Decoder, Encoder } from "@msgpack/msgpack";
import type { WireError } from "./errors.ts";
import type { OutputRefV1 } from "./types.ts";
import { describe, tokenProblem } from "./subjects.ts";

/** A job on `docctl.tasks.<handler>`. */
export interface JobV1 {
  v: 1;
  id: string;
  batch: string;
  handler: string;
  payload: unknown;
  /** ms since the Unix epoch */
  submitted_at: number;
  /** maximum attempts wanted by the submitter (overrides the handler's) */
  attempts?: number;
  /** time limit of one attempt in ms (overrides the handler's) */
  timeout_ms?: number;
}

/** A result on `docctl.results.<batch>.<id>`. */
export interface ResultV1 {
  v: 1;
  id: string;
  batch: string;
  handler: string;
  ok: boolean;
  value?: unknown;
  error?: WireError;
  /** deliveries used, including this one */
  attempts: number;
  worker: string;
  started_at: number;
  finished_at: number;
  output?: OutputRefV1;
}

/** A dead letter on `docctl.dead.<handler>`. */
export interface DeadLetterV1 {
  v: 1;
  /** the job, or null when its bytes could not be decoded (see `raw`) */
  job: JobV1 | null;
  /** the undecodable bytes as published */
  raw?: Uint8Array;
  /** the task subject it came from */
  subject: string;
  error: WireError;
  attempts: number;
  worker: string;
  failed_at: number;
}

// One encoder and decoder for the process: building them per message showed up in profiles.
// `ignoreUndefined`: the contract says optional fields are absent, never nil.
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();
const encode = (v: unknown): Uint8Array => encoder.encode(v);
const decode = (b: Uint8Array): unknown => decoder.decode(b);

export const encodeJob = (j: JobV1): Uint8Array => encode(j);
export const encodeResult = (r: ResultV1): Uint8Array => encode(r);
export const encodeDead = (d: DeadLetterV1): Uint8Array => encode(d);

export type Decoded<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Decode and check a job; `problem` says exactly which field is wrong. */
export function decodeJob(bytes: Uint8Array): Decoded<JobV1> {
  let m: unknown;
  try {
    m = decode(bytes);
  } catch (err) {
    return { ok: false, problem: `not msgpack: ${(err as Error).message}` };
  }
  if (!m || typeof m !== "object" || Array.isArray(m)) return { ok: false, problem: `expected a msgpack map, got ${describe(m)}` };
  const o = m as Record<string, unknown>;
  if (o.v !== 1) return { ok: false, problem: `unsupported version v=${JSON.stringify(o.v)} (this worker speaks v=1)` };
  for (const k of ["id", "batch", "handler"] as const) {
    const p = tokenProblem(o[k]);
    if (p) return { ok: false, problem: `field "${k}" ${p}` };
  }
  if (!("payload" in o)) return { ok: false, problem: `field "payload" is missing` };
  if (typeof o.submitted_at !== "number") return { ok: false, problem: `field "submitted_at" must be a number (ms since epoch), got ${describe(o.submitted_at)}` };
  for (const k of ["attempts", "timeout_ms"] as const) {
    if (o[k] !== undefined && o[k] !== null && !(Number.isInteger(o[k]) && (o[k] as number) > 0)) {
      return { ok: false, problem: `field "${k}" must be a positive integer, got ${JSON.stringify(o[k])}` };
    }
  }
  return { ok: true, value: o as unknown as JobV1 };
}

/** Decode a result; throws on bytes that are not a v1 result. */
export function decodeResult(bytes: Uint8Array): ResultV1 {
  const m = decode(bytes) as ResultV1;
  if (!m || typeof m !== "object" || m.v !== 1 || typeof m.id !== "string") throw new Error("not a v1 result");
  return m;
}

/** Decode a dead letter; throws on bytes that are not one. */
export function decodeDead(bytes: Uint8Array): DeadLetterV1 {
  const m = decode(bytes) as DeadLetterV1;
  if (!m || typeof m !== "object" || m.v !== 1 || !m.error) throw new Error("not a v1 dead letter");
  return m;
}
