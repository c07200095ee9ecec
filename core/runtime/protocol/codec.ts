// The one codec of the v1 wire: msgpack maps for jobs, results and dead letters, checked on the way in.
import { createHash } from "node:crypto";
import { Decoder, DecodeError, Encoder } from "@msgpack/msgpack";
import { clipMessage, type WireError } from "./errors.ts";
import type { OutputRefV1 } from "./types.ts";
import { PRIORITIES, describe, tokenProblem, type Priority } from "./subjects.ts";
import type { AttemptV1 } from "./job-entry.ts";
import { backoffProblem, type BackoffV1 } from "./backoff.ts";

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
  /** time limit of one attempt in ms (overrides the handler's); at most MAX_TIMEOUT_MS */
  timeout_ms?: number;
  /** hex digest of handler, payload, attempts and timeout (jobHash): tells a re-used id from a re-submit */
  hash?: string;
  /** `high` or `low` (absent: normal); also said by the subject (`docctl.tasks.<handler>.high`) */
  priority?: Priority;
  /** ms since the epoch: a job published on `docctl.delay.<id>` as an @at schedule is queued by the server at this time */
  run_at?: number;
  /** a chain's remaining steps: published one by one as each step succeeds */
  next?: StepV1[];
  /** a batch's reduce step: published once every item of the batch has a result */
  then?: ThenV1;
  /** how retries of this job are spaced (overrides the handler's and the worker's) */
  backoff?: BackoffV1;
  /** how long this job's result is kept, ms (default: the results' retention); its index entry follows */
  keep_result_ms?: number;
  /** how long this job's failed result is kept, ms (default: the results' retention) */
  keep_failed_ms?: number;
}

/** A workflow step still to run. Without `payload` it receives the previous step's value. */
export interface StepV1 {
  id: string;
  handler: string;
  payload?: unknown;
  attempts?: number;
  timeout_ms?: number;
  priority?: Priority;
  /** start this long after the step before it succeeded, ms */
  delay_ms?: number;
  /**
   * a batch step: one job per payload (`<step id>-<i>`), or per element of the previous step's value
   * ("each"); the step after it receives the array of their values
   */
  batch?: unknown[] | "each";
}

/** The reduce step of a batch: its payload is the array of the items' values in input order. */
export interface ThenV1 extends Omit<StepV1, "payload"> {
  /** the number of items; item `i` has id `<batch>-<i>` */
  count: number;
  /** what a failed item does: `fail` (default) fails the reduce with WORKFLOW_FAILED, `null` passes null in its place */
  on_failure?: "fail" | "null";
  /** the items' id prefix when it is not the batch: item `i` is `<items>-<i>` (a batch step inside a chain) */
  items?: string;
  /** a chain's steps after the reduce step */
  next?: StepV1[];
}

/** The latest progress of a running job, on `docctl.progress.<batch>.<id>`. */
export interface ProgressV1 {
  v: 1;
  id: string;
  batch: string;
  handler: string;
  worker: string;
  /** 0..1 */
  fraction?: number;
  done?: number;
  total?: number;
  message?: string;
  /** ms since epoch */
  at: number;
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
  /** the job's `hash`, copied when it had one: a submitter re-using the id for another job sees the difference */
  job_hash?: string;
}

/** A dead letter on `docctl.dead.<handler>`. */
export interface DeadLetterV1 {
  v: 1;
  /** the job, or null when its bytes could not be decoded (see `raw`) */
  job: JobV1 | null;
  /** the undecodable bytes as published (the first ones only when `raw_size` is set) */
  raw?: Uint8Array;
  /** set when `raw` was cut to fit under the server's max_payload: the size of the bytes as published */
  raw_size?: number;
  /** set when the job's payload was left out (replaced by nil) to fit: its size in bytes, msgpack-encoded */
  payload_size?: number;
  /** the task subject it came from */
  subject: string;
  error: WireError;
  /** where the handler threw: its own stack frames ("at fn (plugins/x.ts:12:9)"), when it threw an Error with any */
  stack?: string;
  attempts: number;
  worker: string;
  failed_at: number;
  /** each failed attempt: error, worker, time and the handler's stack (the last MAX_HISTORY) */
  history?: AttemptV1[];
}

/**
 * How deep a job may nest (the job map is level 0, its payload level 1): what the job encoder accepts,
 * and what decodeJob accepts. A job the decoder took but no encoder could write back (a dead letter
 * wraps it two levels deeper) was redelivered forever; results and dead letters get that headroom.
 */
export const MAX_DEPTH = 100;
/** The longest time limit a timer can wait (setTimeout fires at once above 2^31-1 ms): 24.8 days. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

// One encoder and decoder per use for the process: building them per message showed up in profiles.
// `ignoreUndefined`: the contract says optional fields are absent, never nil.
const jobEncoder = new Encoder({ ignoreUndefined: true, maxDepth: MAX_DEPTH });
const encoder = new Encoder({ ignoreUndefined: true, maxDepth: MAX_DEPTH + 4 });
const decoder = new Decoder();
const encode = (v: unknown): Uint8Array => encoder.encode(v);
const decode = (b: Uint8Array): unknown => decoder.decode(b);

/** Encode a job; throws when it nests deeper than MAX_DEPTH or holds what msgpack cannot carry (check with payloadProblem first). */
export const encodeJob = (j: JobV1): Uint8Array => jobEncoder.encode(j);
/**
 * Encode a result; throws on values msgpack cannot carry (a BigInt, a circular object: it nests too
 * deep) and on those it would carry wrongly (a Map or a Set became `{}`, a class instance lost its class).
 */
export const encodeResult = (r: ResultV1): Uint8Array => {
  if (r.ok && r.value !== undefined && r.value !== null && typeof r.value !== "string" && typeof r.value !== "number") {
    const p = valueTypeProblem(r.value, "value");
    if (p) throw new TypeError(p);
  }
  return encode(r);
};

/**
 * What in `v` the wire cannot carry as it is: a Map, a Set, a class instance, a function, a symbol, a
 * BigInt (path and kind), or undefined for plain data (objects, arrays, strings, numbers, booleans,
 * null, byte arrays, dates). Iterative, and each object is looked at once (shared and circular references).
 */
export function valueTypeProblem(v: unknown, where = "value"): string | undefined {
  const seen = new Set<object>();
  const stack: [unknown, string, number][] = [[v, where, 0]];
  while (stack.length) {
    const [x, path, depth] = stack.pop()!;
    const t = typeof x;
    if (t === "function") return `${path} is a function`;
    if (t === "symbol") return `${path} is a symbol`;
    if (t === "bigint") return `${path} is a BigInt (send it as a string)`;
    if (!x || t !== "object" || ArrayBuffer.isView(x) || x instanceof Date) continue;
    if (seen.has(x as object) || depth > MAX_DEPTH + 4) continue;
    seen.add(x as object);
    if (Array.isArray(x)) {
      for (let i = x.length - 1; i >= 0; i--) stack.push([x[i], `${path}[${i}]`, depth + 1]);
      continue;
    }
    if (x instanceof Map) return `${path} is a Map (msgpack would send it as {}): use a plain object or an array of [key, value] pairs`;
    if (x instanceof Set) return `${path} is a Set (msgpack would send it as {}): use an array`;
    const proto = Object.getPrototypeOf(x);
    if (proto !== Object.prototype && proto !== null) {
      const name = (proto?.constructor as { name?: string } | undefined)?.name || "an object with a prototype";
      return `${path} is an instance of ${name} (only its own fields would be sent, not its class): return plain data`;
    }
    if (Object.prototype.hasOwnProperty.call(x, "__proto__")) return `${path} has a key named "__proto__" (msgpack decoders refuse it): rename the key`;
    for (const k of Object.keys(x as object)) stack.push([(x as Record<string, unknown>)[k], `${path}.${k}`, depth + 1]);
  }
  return undefined;
}
export const encodeDead = (d: DeadLetterV1): Uint8Array => encode(d);
/** Encode any value with the wire's encoder (to measure a payload, say). */
export const encodeValue = (v: unknown): Uint8Array => encode(v);

/**
 * Why `payload` cannot travel as a job's payload, or undefined: nested deeper than the wire allows, or a
 * map key `__proto__` (the msgpack decoder refuses it, so no worker could read the job). `where` names
 * the place in messages, e.g. `payload.items[3]`.
 */
export function payloadProblem(payload: unknown, where = "payload"): string | undefined {
  // Iterative: a hostile payload must not overflow the stack of the process that checks it.
  const stack: [unknown, number, string][] = [[payload, 1, where]];
  while (stack.length) {
    const [v, depth, path] = stack.pop()!;
    if (depth > MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels (the wire's limit); flatten the data`;
    if (!v || typeof v !== "object" || ArrayBuffer.isView(v)) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], depth + 1, `${path}[${i}]`]);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(v, "__proto__")) {
      return `${path}: a key named "__proto__" is not allowed (msgpack decoders refuse it as a prototype-pollution guard); rename the key`;
    }
    for (const [k, x] of Object.entries(v)) stack.push([x, depth + 1, `${path}.${k}`]);
  }
  return undefined;
}

/** Whether some value in `v` (level 0) sits deeper than `limit`: the level the encoder refuses. */
function depthExceeds(v: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (d > limit) return true;
    if (!x || typeof x !== "object" || ArrayBuffer.isView(x)) continue;
    for (const y of Array.isArray(x) ? x : Object.values(x)) {
      if (y && typeof y === "object") stack.push([y, d + 1]);
      else if (d + 1 > limit) return true;
    }
  }
  return false;
}

/**
 * A job's hash: hex SHA-256 (first 32 digits) of its handler, payload, attempts and time limit, so a
 * re-submit of the same job and a different job under a re-used id can be told apart.
 */
export function jobHash(j: Pick<JobV1, "handler" | "payload" | "attempts" | "timeout_ms">): string {
  const h = createHash("sha256");
  h.update(`${j.handler}\n${j.attempts ?? ""}\n${j.timeout_ms ?? ""}\n`);
  h.update(encode(j.payload ?? null));
  return h.digest("hex").slice(0, 32);
}

/**
 * Encode a dead letter that fits in `maxBytes` (the server's max_payload): undecodable bytes are cut
 * (`raw_size` keeps their size), then the job's payload is left out (`payload_size`), so a poison
 * message always ends as a dead letter instead of being redelivered forever.
 */
export function encodeDeadFitting(d: DeadLetterV1, maxBytes: number): Uint8Array {
  const room = maxBytes - 1024; // headers and subject travel in the same message
  let size = Infinity; // too deep to encode counts as too big
  try {
    const out = encode(d);
    if (out.byteLength <= room) return out;
    size = out.byteLength;
  } catch {
    /* cut below */
  }
  const fitted: DeadLetterV1 = { ...d };
  if (d.raw) {
    const rest = Number.isFinite(size) ? size - d.raw.byteLength : 0;
    fitted.raw = d.raw.subarray(0, Math.max(0, Math.min(d.raw.byteLength, room - rest - 16, 64 * 1024)));
    fitted.raw_size = d.raw.byteLength;
  }
  if (d.job) {
    let payloadSize = 0;
    try {
      payloadSize = encode(d.job.payload ?? null).byteLength;
    } catch {
      /* unencodable: its size is unknown */
    }
    fitted.job = { ...d.job, payload: null };
    fitted.payload_size = payloadSize;
  }
  const out = encode(fitted);
  if (out.byteLength <= room) return out;
  // Still too big (a huge error message from a foreign writer?): keep only what identifies it.
  return encode({ ...fitted, raw: fitted.raw?.subarray(0, 0), error: { ...d.error, message: clipMessage(d.error.message, 1024) } });
}

export const encodeProgress = (p: ProgressV1): Uint8Array => encode(p);

/** Decode a progress message; undefined for bytes that are not one. */
export function decodeProgress(bytes: Uint8Array): ProgressV1 | undefined {
  try {
    const m = decode(bytes) as ProgressV1;
    return m && typeof m === "object" && m.v === 1 && typeof m.id === "string" ? m : undefined;
  } catch {
    return undefined;
  }
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Decode and check a job; `problem` says exactly which field is wrong. */
export function decodeJob(bytes: Uint8Array): Decoded<JobV1> {
  let m: unknown;
  try {
    m = decode(bytes);
  } catch (err) {
    if (err instanceof DecodeError && /__proto__/.test(err.message)) {
      return { ok: false, problem: `a map key "__proto__" is not allowed (msgpack decoders refuse it as a prototype-pollution guard)` };
    }
    return { ok: false, problem: `not msgpack: ${(err as Error).message}` };
  }
  if (!m || typeof m !== "object" || Array.isArray(m)) return { ok: false, problem: `expected a msgpack map, got ${describe(m)}` };
  // Deeper than any encoder of ours writes: its failed result and dead letter could not be written either.
  if (depthExceeds(m, MAX_DEPTH)) return { ok: false, problem: `the job nests deeper than ${MAX_DEPTH} levels (the wire's limit)` };
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
  if (typeof o.timeout_ms === "number" && o.timeout_ms > MAX_TIMEOUT_MS) {
    return { ok: false, problem: `field "timeout_ms" is ${o.timeout_ms}, over the longest time limit ${MAX_TIMEOUT_MS} (24.8 days)` };
  }
  if (o.hash !== undefined && typeof o.hash !== "string") return { ok: false, problem: `field "hash" must be a string, got ${describe(o.hash)}` };
  const extra = jobControlProblem(o);
  if (extra) return { ok: false, problem: extra };
  return { ok: true, value: o as unknown as JobV1 };
}

// The optional job-control fields: checked like the rest, so a foreign client's typo is a BAD_MESSAGE.
function jobControlProblem(o: Record<string, unknown>): string | undefined {
  const prio = (v: unknown, where: string) =>
    v !== undefined && v !== null && !PRIORITIES.includes(v as Priority) ? `${where} must be one of ${PRIORITIES.join(", ")}, got ${JSON.stringify(v)}` : undefined;
  const step = (v: unknown, where: string): string | undefined => {
    if (!v || typeof v !== "object" || Array.isArray(v)) return `${where} must be a map, got ${describe(v)}`;
    const st = v as Record<string, unknown>;
    for (const k of ["id", "handler"]) {
      const p = tokenProblem(st[k]);
      if (p) return `${where}.${k} ${p}`;
    }
    if (st.delay_ms !== undefined && st.delay_ms !== null && !(Number.isInteger(st.delay_ms) && (st.delay_ms as number) >= 0)) return `${where}.delay_ms must be a whole number of ms, got ${JSON.stringify(st.delay_ms)}`;
    if (st.batch !== undefined && st.batch !== null && st.batch !== "each" && !(Array.isArray(st.batch) && st.batch.length > 0)) return `${where}.batch must be a non-empty array of payloads or "each", got ${describe(st.batch)}`;
    return prio(st.priority, `${where}.priority`);
  };
  const p = prio(o.priority, `field "priority"`);
  if (p) return p;
  if (o.backoff !== undefined && o.backoff !== null) {
    const b = backoffProblem(o.backoff);
    if (b) return `field "backoff" ${b}`;
  }
  for (const k of ["keep_result_ms", "keep_failed_ms"]) {
    if (o[k] !== undefined && o[k] !== null && !(Number.isInteger(o[k]) && (o[k] as number) > 0)) return `field "${k}" must be a positive integer (ms), got ${JSON.stringify(o[k])}`;
  }
  if (o.run_at !== undefined && o.run_at !== null && typeof o.run_at !== "number") return `field "run_at" must be a number (ms since epoch), got ${describe(o.run_at)}`;
  if (o.next !== undefined && o.next !== null) {
    if (!Array.isArray(o.next)) return `field "next" must be an array of steps, got ${describe(o.next)}`;
    for (let i = 0; i < o.next.length; i++) {
      const sp = step(o.next[i], `field "next"[${i}]`);
      if (sp) return sp;
    }
  }
  if (o.then !== undefined && o.then !== null) {
    const sp = step(o.then, `field "then"`);
    if (sp) return sp;
    const c = (o.then as Record<string, unknown>).count;
    if (!Number.isInteger(c) || (c as number) < 1) return `field "then".count must be a positive integer, got ${JSON.stringify(c)}`;
  }
  return undefined;
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
  if (!m || typeof m !== "object" || m.v !== 1 || !m.error || typeof m.error !== "object") throw new Error("not a v1 dead letter");
  // Every field a reader shows is made safe: one foreign or damaged dead letter crashed `docctl dead`
  // and the dashboard (a missing message, a job that is not a map).
  const e = m.error as Partial<WireError>;
  const job = m.job && typeof m.job === "object" && !Array.isArray(m.job) && typeof (m.job as JobV1).id === "string" && typeof (m.job as JobV1).handler === "string" ? m.job : null;
  return {
    ...m,
    job,
    subject: typeof m.subject === "string" ? m.subject : "",
    error: { code: typeof e.code === "string" ? e.code : "UNKNOWN", message: typeof e.message === "string" ? e.message : String(e.message ?? ""), retryable: e.retryable === true },
    attempts: typeof m.attempts === "number" ? m.attempts : 0,
    worker: typeof m.worker === "string" ? m.worker : "",
    failed_at: typeof m.failed_at === "number" ? m.failed_at : 0,
    stack: typeof m.stack === "string" ? m.stack : undefined,
    ...(m.raw !== undefined && !(m.raw instanceof Uint8Array) ? { raw: undefined } : {}),
  };
}
