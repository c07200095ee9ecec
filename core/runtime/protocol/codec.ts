// The one codec of the v1 wire: msgpack maps for jobs, results and dead letters, checked on the way in.
import { createHash } from "node:crypto";
import { Decoder, DecodeError, Encoder } from "@msgpack/msgpack";
import { clipMessage, type WireError } from "./errors.ts";
import type { OutputRefV1 } from "./types.ts";
import { Type, type Static } from "@sinclair/typebox";
import { PRIORITIES, describe, type Priority } from "./subjects.ts";
import { TokenFastSchema, TokenSchema } from "./token.ts";
import { checker, swapNodes, type PathLabel } from "./schema.ts";
import type { AttemptV1 } from "./job-entry.ts";
import { BackoffSchema } from "./backoff.ts";

/**
 * How deep a job may nest (the job map is level 0, its payload level 1): what the job encoder accepts,
 * and what decodeJob accepts. A job the decoder took but no encoder could write back (a dead letter
 * wraps it two levels deeper) was redelivered forever; results and dead letters get that headroom.
 */
export const MAX_DEPTH = 100;
/** The longest time limit a timer can wait (setTimeout fires at once above 2^31-1 ms): 24.8 days. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

// The job's shape is one TypeBox schema: JobV1 is derived from it and decodeJob checks with it (ajv,
// compiled once), so the type and the check cannot drift. Messages come from the `problem` notes
// (core/runtime/protocol/schema.ts says how they read).
const posInt = (what = "a positive integer") => ({ exclusiveMinimum: 0, problem: `{at} must be ${what}, got {json}` });
const PrioritySchema = Type.Unsafe<Priority>({ type: "string", enum: [...PRIORITIES], problem: `{at} must be one of ${PRIORITIES.join(", ")}, got {json}` });
const epochMs = () => Type.Number({ problem: "{at} must be a number (ms since epoch), got {got}" });

// The fields a chain step and a batch's reduce step share.
const stepFields = {
  id: TokenSchema,
  handler: TokenSchema,
  attempts: Type.Optional(Type.Integer(posInt())),
  timeout_ms: Type.Optional(Type.Integer({ ...posInt(), maximum: MAX_TIMEOUT_MS })),
  priority: Type.Optional(PrioritySchema),
  /** start this long after the step before it succeeded, ms */
  delay_ms: Type.Optional(Type.Integer({ minimum: 0, problem: "{at} must be a whole number of ms, got {json}" })),
  /**
   * a batch step: one job per payload (`<step id>-<i>`), or per element of the previous step's value
   * ("each"); the step after it receives the array of their values
   */
  batch: Type.Optional(
    Type.Union([Type.Literal("each"), Type.Array(Type.Unknown(), { minItems: 1 })], { problem: `{at} must be a non-empty array of payloads or "each", got {got}` }),
  ),
};
const aMap = { problem: { type: "{at} must be a map, got {got}" } };

/** The schema of a workflow step still to run (StepV1). */
export const StepSchema = Type.Object({ ...stepFields, payload: Type.Optional(Type.Unknown()) }, aMap);
/** A workflow step still to run. Without `payload` it receives the previous step's value. */
export type StepV1 = Static<typeof StepSchema>;
const StepsSchema = Type.Array(StepSchema, { problem: { type: "{at} must be an array of steps, got {got}" } });

/** The schema of a batch's reduce step (ThenV1). */
export const ThenSchema = Type.Object(
  {
    ...stepFields,
    /** the number of items; item `i` has id `<batch>-<i>` */
    count: Type.Integer({ minimum: 1, problem: "{at} must be a positive integer, got {json}" }),
    /** what a failed item does: `fail` (default) fails the reduce with WORKFLOW_FAILED, `null` passes null in its place */
    on_failure: Type.Optional(Type.Unsafe<"fail" | "null">({ type: "string", enum: ["fail", "null"], problem: `{at} must be "fail" or "null", got {json}` })),
    /** the items' id prefix when it is not the batch: item `i` is `<items>-<i>` (a batch step inside a chain) */
    items: Type.Optional(TokenSchema),
    /** a chain's steps after the reduce step */
    next: Type.Optional(StepsSchema),
  },
  aMap,
);
/** The reduce step of a batch: its payload is the array of the items' values in input order. */
export type ThenV1 = Static<typeof ThenSchema>;

/** The schema of a job on `docctl.tasks.<handler>` (JobV1); fields in the order they are checked. */
export const JobSchema = Type.Object({
  v: Type.Literal(1, { problem: "unsupported version v={json} (this worker speaks v=1)" }),
  id: TokenSchema,
  batch: TokenSchema,
  handler: TokenSchema,
  payload: Type.Unknown({ problem: "{at} is missing" }),
  /** ms since the Unix epoch */
  submitted_at: epochMs(),
  /** maximum attempts wanted by the submitter (overrides the handler's) */
  attempts: Type.Optional(Type.Integer(posInt())),
  /** time limit of one attempt in ms (overrides the handler's); at most MAX_TIMEOUT_MS */
  timeout_ms: Type.Optional(
    Type.Integer({ exclusiveMinimum: 0, maximum: MAX_TIMEOUT_MS, problem: { maximum: "{at} is {value}, over the longest time limit {limit} (24.8 days)", "*": "{at} must be a positive integer, got {json}" } }),
  ),
  /** hex digest of handler, payload, attempts and timeout (jobHash): tells a re-used id from a re-submit */
  hash: Type.Optional(Type.String({ problem: "{at} must be a string, got {got}" })),
  /** `high` or `low` (absent: normal); also said by the subject (`docctl.tasks.<handler>.high`) */
  priority: Type.Optional(PrioritySchema),
  /** true: submitted lifo, at the head of its handler's queue of its priority (the submitter moved the waiting jobs behind it) */
  lifo: Type.Optional(Type.Boolean({ problem: "{at} must be true or false, got {json}" })),
  /** how retries of this job are spaced (overrides the handler's and the worker's) */
  backoff: Type.Optional(BackoffSchema),
  /** how long this job's result is kept, ms (default: the results' retention); its index entry follows */
  keep_result_ms: Type.Optional(Type.Integer(posInt("a positive integer (ms)"))),
  /** how long this job's failed result is kept, ms (default: the results' retention) */
  keep_failed_ms: Type.Optional(Type.Integer(posInt("a positive integer (ms)"))),
  /** ms since the epoch: a job published on `docctl.delay.<id>` as an @at schedule is queued by the server at this time */
  run_at: Type.Optional(epochMs()),
  /** a chain's remaining steps: published one by one as each step succeeds */
  next: Type.Optional(StepsSchema),
  /** a batch's reduce step: published once every item of the batch has a result */
  then: Type.Optional(ThenSchema),
});
/** A job on `docctl.tasks.<handler>`. */
export type JobV1 = Static<typeof JobSchema>;

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
  // Two plain stacks, not a stack of [value, depth] pairs: every job passes here, and the pairs were
  // an allocation per nested object.
  const values: unknown[] = [v];
  const depths: number[] = [0];
  while (values.length) {
    const x = values.pop();
    const d = depths.pop()!;
    if (d > limit) return true;
    if (!x || typeof x !== "object" || ArrayBuffer.isView(x)) continue;
    const children = Array.isArray(x) ? x : Object.values(x);
    for (let i = 0; i < children.length; i++) {
      const y = children[i];
      if (y && typeof y === "object") {
        values.push(y);
        depths.push(d + 1);
      } else if (d + 1 > limit) return true;
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
    /* a dead letter msgpack cannot encode whole (a payload too big for it): cut below */
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
    return undefined; // not msgpack: a foreign message on a progress subject, not a report
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
  dropNils(o, JOB_NILLABLE);
  if (Array.isArray(o.next)) for (const st of o.next) dropNils(st, STEP_NILLABLE);
  dropNils(o.then, STEP_NILLABLE);
  if (jobCheck.check(o)) return { ok: true, value: o as JobV1 };
  return { ok: false, problem: jobCheck.problem(o, fieldLabel) ?? "the job does not fit the v1 job schema" };
}

// checked with the tokens' one-regex twin; the full schema explains a failure
const jobCheck = checker(JobSchema, swapNodes(JobSchema, TokenSchema, TokenFastSchema));
/** `field "next"[0].id`: how decodeJob's messages name a place in the job. */
const fieldLabel: PathLabel = ([first, ...rest]) =>
  first === undefined ? "the job" : `field "${first}"` + rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");

// What the schema cannot say: a foreign client's nil in an optional field means "absent" (v1 always
// accepted it), so nils are removed before the check and JobV1 never holds one.
const JOB_NILLABLE = ["attempts", "timeout_ms", "priority", "lifo", "backoff", "keep_result_ms", "keep_failed_ms", "run_at", "next", "then"];
const STEP_NILLABLE = ["delay_ms", "batch", "priority"];
function dropNils(o: unknown, keys: string[]) {
  if (!o || typeof o !== "object") return;
  const r = o as Record<string, unknown>;
  for (const k of keys) if (r[k] === null) delete r[k];
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
