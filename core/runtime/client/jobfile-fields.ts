// The fields of one job, batch, chain or step in a job file: each checked where it is written, with
// errors that say file:line:col (the node's offset) and what to do.
import { findNodeAtLocation, getNodeValue, type Node } from "jsonc-parser";
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { ConfigError, InputError } from "../protocol/errors.ts";
import { PRIORITIES, type Priority } from "../protocol/subjects.ts";
import { TokenSchema } from "../protocol/token.ts";
import { checker, type Checker } from "../protocol/schema.ts";
import type { StepV1 } from "../protocol/codec.ts";
import { parseDuration } from "../util/duration.ts";
import { parseBackoff } from "../util/job-backoff.ts";
import type { PlannedJob } from "./submit-plan.ts";

export type Where = (node: Node, msg: string) => never;

// The shape of each object in a job file is a TypeBox schema checked by ajv (protocol/schema.ts): the
// keys allowed, which are required, and each field's type, with the messages people get. What a
// schema cannot say stays in code below: durations and times parsed into ms ("delay", "keep_*",
// "run_at" in the past), "delay" and "run_at" together, the backoff's people form, and (in jobfile.ts)
// the rules across jobs and steps (unique ids, batch steps in a chain, an empty batch or chain).
const positive = Type.Integer({ exclusiveMinimum: 0, problem: "{at} must be a positive whole number (got {json})" });
const handler = (example: string) =>
  Type.String({ ...TokenSchema, problem: { ...(TokenSchema.problem as object), required: `{parent} has no "handler": name the job type, e.g. "handler": "${example}"` } });
const FIELDS = {
  handler: handler("pdf"),
  id: TokenSchema,
  timeout_ms: positive,
  attempts: positive,
  backoff: Type.Unknown(),
  keep_result: Type.String({ problem: '{at} must be a duration of at least 1s, like "1h" or "7d" (got {json})' }),
  keep_failed: Type.String({ problem: '{at} must be a duration of at least 1s, like "1h" or "7d" (got {json})' }),
  priority: Type.Unsafe<Priority>({ type: "string", enum: [...PRIORITIES], problem: `{at} must be one of ${PRIORITIES.map((p) => `"${p}"`).join(", ")} (got {json})` }),
  delay: Type.String({ problem: '{at} must be a duration like "30s", "10m", "2h" (got {got})' }),
  run_at: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T.*(Z|[+-]\\d{2}:?\\d{2})$", problem: '{at} must be an ISO 8601 time with a zone, like "2030-01-31T02:00:00Z" (got {json})' }),
  payload: Type.Unknown(),
  // a batch object's items (checked as offsets by the scanner), a chain's steps and a batch's reduce step are read on their own
  batch: Type.Unknown(),
  chain: Type.Unknown(),
  then: Type.Unknown(),
  lifo: Type.Boolean({ problem: "{at} must be true or false (got {got})" }),
  on_failure: Type.Unsafe<"fail" | "null">({
    type: "string",
    enum: ["fail", "null"],
    problem: '{at} must be "fail" (the reduce fails when an item failed) or "null" (failed items are passed as null) (got {json})',
  }),
};
type Field = keyof typeof FIELDS;
/** A step's "batch": its payloads, or "each" element of the previous step's value. */
const StepBatch = Type.Union([Type.Literal("each"), Type.Array(Type.Unknown(), { minItems: 1 })], {
  problem: `{at} in a chain step must be a non-empty array of payloads, or "each" (one job per element of the previous step's value) (got {got})`,
});

/** The object of `keys` (`handler` required when allowed); `like`: the example its type error shows. */
function shape(keys: readonly Field[], like: string, overrides: Partial<Record<Field, TSchema>> = {}) {
  const props = Object.fromEntries(
    keys.map((k) => {
      const s = overrides[k] ?? FIELDS[k];
      return [k, k === "handler" ? s : Type.Optional(s)];
    }),
  );
  return Type.Object(props, {
    additionalProperties: false,
    problem: {
      type: `{at} must be an object${like} (got {got})`,
      additionalProperties: `unknown key "{key}" in {at} (expected one of: ${keys.join(", ")})`,
    },
  });
}

export const CONTROL_KEYS = ["delay", "run_at", "priority", "backoff", "keep_result", "keep_failed"] as const;
export const JOB_KEYS = ["handler", "payload", "id", "timeout_ms", "attempts", ...CONTROL_KEYS] as const;
/** A job file of one job may also say "lifo". */
export const SINGLE_JOB_KEYS = [...JOB_KEYS, "lifo"] as const;
export const BATCH_KEYS = ["handler", "batch", "id", "timeout_ms", "attempts", "then", ...CONTROL_KEYS] as const;
export const CHAIN_KEYS = ["chain", "id", ...CONTROL_KEYS] as const;
export const STEP_KEYS = ["handler", "payload", "timeout_ms", "attempts", "priority", "batch", "delay"] as const;
export const THEN_KEYS = ["handler", "timeout_ms", "attempts", "priority", "on_failure"] as const;

const JOB_LIKE = ' like {"handler": "echo", "payload": {...}}';
/** The schema of one job in a job file (alone, or an element of an array of jobs). */
export const JobFileJobSchema = shape(JOB_KEYS, JOB_LIKE);
/** The schema of a job file of one job (it may say "lifo"). */
export const JobFileSingleSchema = shape(SINGLE_JOB_KEYS, JOB_LIKE);
/** The schema of a batch object's own keys (its "batch" array is scanned apart). */
export const JobFileBatchSchema = shape(BATCH_KEYS, JOB_LIKE);
/** The schema of a chain object's own keys (its steps are checked one by one). */
export const JobFileChainSchema = shape(CHAIN_KEYS, "");
/** The schema of a chain step. */
export const JobFileStepSchema = shape(STEP_KEYS, "", { handler: handler("echo"), batch: StepBatch });
/** The schema of a batch's "then" (its reduce step). */
export const JobFileThenSchema = shape(THEN_KEYS, "", { handler: handler("echo") });
/** A job as a job file writes it. */
export type JobFileJob = Static<typeof JobFileJobSchema>;
/** A chain step as a job file writes it. */
export type JobFileStep = Static<typeof JobFileStepSchema>;

const checkers = new Map<string, Checker>([
  [JOB_KEYS.join(), checker(JobFileJobSchema)],
  [SINGLE_JOB_KEYS.join(), checker(JobFileSingleSchema)],
  [BATCH_KEYS.join(), checker(JobFileBatchSchema)],
  [CHAIN_KEYS.join(), checker(JobFileChainSchema)],
  [STEP_KEYS.join(), checker(JobFileStepSchema)],
  [THEN_KEYS.join(), checker(JobFileThenSchema)],
]);
// The checker of a set of keys: one of the above, or (a caller with its own list) built once from FIELDS.
function checkerOf(keys: readonly string[]): Checker {
  let c = checkers.get(keys.join());
  if (!c) {
    const unknown = keys.find((k) => !(k in FIELDS));
    if (unknown) throw new Error(`job file key "${unknown}" has no schema in FIELDS (core/runtime/client/jobfile-fields.ts)`);
    checkers.set(keys.join(), (c = checker(shape(keys as readonly Field[], ""))));
  }
  return c;
}

/**
 * Checks the object at `n` against the schema of `keys` and returns its fields (value nodes by key).
 * The first problem is thrown at the place it is written: the key of an unknown key, the object for a
 * missing one, else the value.
 */
export function readFields(n: Node, what: string, keys: readonly string[], at: (offset: number) => string) {
  const where: Where = (node, msg) => {
    throw new InputError(`${at(node.offset)}: ${msg}`);
  };
  const fields = new Map<string, Node>();
  if (n.type === "object") for (const prop of n.children ?? []) fields.set(prop.children![0]!.value as string, prop.children![1]!);
  // The value checked, without the payload: a payload is the handler's business and can be large.
  const value = n.type === "object" ? Object.fromEntries([...fields].map(([k, v]) => [k, k === "payload" ? null : getNodeValue(v)])) : getNodeValue(n);
  const c = checkerOf(keys);
  if (!c.check(value)) {
    const p = c.first(value, (path) => (path.length ? `"${path.join(".")}"` : what))!;
    const node = p.place === "key" ? findNodeAtLocation(n, p.path)?.parent?.children?.[0] : findNodeAtLocation(n, p.path);
    where(node ?? n, p.text);
  }
  return { fields, where };
}

/** "delay", "run_at", "priority", "backoff", "keep_result", "keep_failed": their form here; a run_at in the past too (the retention is checked at submit). */
export function readControl(fields: Map<string, Node>, where: Where): Pick<PlannedJob, "priority" | "delay_ms" | "run_at" | "backoff" | "keep_result_ms" | "keep_failed_ms"> {
  const out: Pick<PlannedJob, "priority" | "delay_ms" | "run_at" | "backoff" | "keep_result_ms" | "keep_failed_ms"> = {};
  const b = fields.get("backoff");
  if (b) {
    try {
      out.backoff = parseBackoff(getNodeValue(b), '"backoff"');
    } catch (err) {
      where(b, (err as Error).message);
    }
  }
  for (const [k, to] of [["keep_result", "keep_result_ms"], ["keep_failed", "keep_failed_ms"]] as const) {
    const n = fields.get(k);
    if (!n) continue;
    let ms = NaN;
    try {
      ms = typeof n.value === "string" ? parseDuration(n.value, `"${k}"`) : NaN;
    } catch {
      /* not a duration: said below, with its place in the file */
    }
    if (!(ms >= 1000)) where(n, `"${k}" must be a duration of at least 1s, like "1h" or "7d" (got ${JSON.stringify(getNodeValue(n))})`);
    out[to] = ms;
  }
  const pr = fields.get("priority");
  if (pr) {
    if (pr.value !== "normal") out.priority = pr.value as Priority;
  }
  const d = fields.get("delay");
  const r = fields.get("run_at");
  if (d && r) where(r, `give "delay" or "run_at", not both`);
  if (d) {
    try {
      out.delay_ms = parseDuration(String(d.value), '"delay"');
    } catch (err) {
      if (err instanceof ConfigError) where(d, `"delay": "${d.value}" is not a duration; use a number with a unit, like 30s, 10m, 2h`);
      throw err;
    }
  }
  if (r) {
    // the schema checked the form; a date that does not exist (2030-02-31) is found here
    const t = Date.parse(r.value as string);
    if (!Number.isFinite(t)) where(r, `"run_at" must be an ISO 8601 time with a zone, like "2030-01-31T02:00:00Z" (got ${JSON.stringify(getNodeValue(r))})`);
    if (t < Date.now()) where(r, `"run_at" ${r.value} is in the past (now is ${new Date().toISOString()}); give a future time, or leave "run_at" out to run at once`);
    out.run_at = t;
  }
  return out;
}

/** Checks one chain step or a batch's "then" (`keys` says which) and reads it. */
export function readStep(n: Node, what: string, keys: readonly string[], at: (offset: number) => string): Omit<StepV1, "id"> & { on_failure?: "fail" | "null" } {
  const { fields, where } = readFields(n, what, keys, at);
  const v = (k: string) => (fields.has(k) ? getNodeValue(fields.get(k)!) : undefined);
  const st: Omit<StepV1, "id"> & { on_failure?: "fail" | "null" } = { handler: v("handler") as string };
  if (fields.has("payload")) st.payload = v("payload");
  for (const k of ["timeout_ms", "attempts"] as const) if (fields.has(k)) st[k] = v(k) as number;
  const c = readControl(new Map([...fields].filter(([k]) => k === "priority" || k === "delay")), where);
  if (c.priority) st.priority = c.priority;
  if (c.delay_ms) st.delay_ms = c.delay_ms;
  if (fields.has("batch")) st.batch = v("batch") as unknown[] | "each";
  if (fields.has("on_failure")) st.on_failure = v("on_failure") as "fail" | "null";
  return st;
}

/** Checks one job (or the batch object's own keys) and reads its fields; errors name the place via `at`. */
export function readJob(n: Node, what: string, keys: readonly string[], at: (offset: number) => string) {
  const { fields, where } = readFields(n, what, keys, at);
  const out: Omit<PlannedJob, "payload" | "id"> & { id?: string } = { handler: fields.get("handler")!.value as string };
  if (fields.has("id")) out.id = fields.get("id")!.value as string;
  for (const k of ["timeout_ms", "attempts"] as const) if (fields.has(k)) out[k] = fields.get(k)!.value as number;
  Object.assign(out, readControl(fields, where));
  return { out, fields, node: n, where };
}
