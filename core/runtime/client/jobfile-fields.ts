// The fields of one job, batch, chain or step in a job file: each checked where it is written, with
// errors that say file:line:col (the node's offset) and what to do.
import { getNodeValue, type Node } from "jsonc-parser";
import { ConfigError, InputError } from "../protocol/errors.ts";
import { PRIORITIES, describe, tokenProblem, type Priority } from "../protocol/subjects.ts";
import type { StepV1 } from "../protocol/codec.ts";
import { parseDuration } from "../util/duration.ts";
import { parseBackoff } from "../util/job-backoff.ts";
import type { PlannedJob } from "./submit-plan.ts";

export const CONTROL_KEYS = ["delay", "run_at", "priority", "backoff", "keep_result", "keep_failed"];
export const JOB_KEYS = ["handler", "payload", "id", "timeout_ms", "attempts", ...CONTROL_KEYS];
export const BATCH_KEYS = ["handler", "batch", "id", "timeout_ms", "attempts", "then", ...CONTROL_KEYS];
export const CHAIN_KEYS = ["chain", "id", ...CONTROL_KEYS];
export const STEP_KEYS = ["handler", "payload", "timeout_ms", "attempts", "priority", "batch", "delay"];
export const THEN_KEYS = ["handler", "timeout_ms", "attempts", "priority", "on_failure"];

export type Where = (node: Node, msg: string) => never;

export function readFields(n: Node, what: string, keys: string[], at: (offset: number) => string) {
  const where: Where = (node, msg) => {
    throw new InputError(`${at(node.offset)}: ${msg}`);
  };
  if (n.type !== "object") where(n, `${what} must be an object (got ${describe(getNodeValue(n))})`);
  const fields = new Map<string, Node>();
  for (const prop of n.children ?? []) {
    const [k, v] = prop.children!;
    if (!keys.includes(k!.value)) where(k!, `unknown key "${k!.value}" in ${what} (expected one of: ${keys.join(", ")})`);
    fields.set(k!.value as string, v!);
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
      /* said below */
    }
    if (!(ms >= 1000)) where(n, `"${k}" must be a duration of at least 1s, like "1h" or "7d" (got ${JSON.stringify(getNodeValue(n))})`);
    out[to] = ms;
  }
  const pr = fields.get("priority");
  if (pr) {
    if (!PRIORITIES.includes(pr.value)) where(pr, `"priority" must be one of ${PRIORITIES.map((p) => `"${p}"`).join(", ")} (got ${JSON.stringify(getNodeValue(pr))})`);
    if (pr.value !== "normal") out.priority = pr.value as Priority;
  }
  const d = fields.get("delay");
  const r = fields.get("run_at");
  if (d && r) where(r, `give "delay" or "run_at", not both`);
  if (d) {
    if (d.type !== "string") where(d, `"delay" must be a duration like "30s", "10m", "2h" (got ${describe(getNodeValue(d))})`);
    try {
      out.delay_ms = parseDuration(String(d.value), '"delay"');
    } catch (err) {
      if (err instanceof ConfigError) where(d, `"delay": "${d.value}" is not a duration; use a number with a unit, like 30s, 10m, 2h`);
      throw err;
    }
  }
  if (r) {
    const t = typeof r.value === "string" && /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(r.value) ? Date.parse(r.value) : NaN;
    if (!Number.isFinite(t)) where(r, `"run_at" must be an ISO 8601 time with a zone, like "2030-01-31T02:00:00Z" (got ${JSON.stringify(getNodeValue(r))})`);
    if (t < Date.now()) where(r, `"run_at" ${r.value} is in the past (now is ${new Date().toISOString()}); give a future time, or leave "run_at" out to run at once`);
    out.run_at = t;
  }
  return out;
}

export function readStep(n: Node, what: string, keys: string[], at: (offset: number) => string): Omit<StepV1, "id"> & { on_failure?: "fail" | "null" } {
  const { fields, where } = readFields(n, what, keys, at);
  const h = fields.get("handler");
  if (!h) where(n, `${what} has no "handler": name the job type, e.g. "handler": "echo"`);
  const hp = tokenProblem(h!.value);
  if (hp) where(h!, `"handler" ${hp}`);
  const st: Omit<StepV1, "id"> & { on_failure?: "fail" | "null" } = { handler: h!.value as string };
  if (fields.has("payload")) st.payload = getNodeValue(fields.get("payload")!);
  for (const k of ["timeout_ms", "attempts"] as const) {
    const v = fields.get(k);
    if (v && !(v.type === "number" && Number.isInteger(v.value) && v.value > 0)) where(v, `"${k}" must be a positive whole number (got ${JSON.stringify(getNodeValue(v))})`);
    if (v) st[k] = v.value as number;
  }
  const c = readControl(new Map([...fields].filter(([k]) => k === "priority" || k === "delay")), where);
  if (c.priority) st.priority = c.priority;
  if (c.delay_ms) st.delay_ms = c.delay_ms;
  const b = fields.get("batch");
  if (b) {
    const v = getNodeValue(b);
    if (v !== "each" && !(Array.isArray(v) && v.length > 0)) where(b, `"batch" in a chain step must be a non-empty array of payloads, or "each" (one job per element of the previous step's value) (got ${describe(v)})`);
    st.batch = v as unknown[] | "each";
  }
  const of = fields.get("on_failure");
  if (of) {
    if (of.value !== "fail" && of.value !== "null") where(of, `"on_failure" must be "fail" (the reduce fails when an item failed) or "null" (failed items are passed as null) (got ${JSON.stringify(getNodeValue(of))})`);
    st.on_failure = of.value;
  }
  return st;
}

/** Checks one job (or the batch object's own keys) and reads its fields; errors name the place via `at`. */
export function readJob(n: Node, what: string, keys: string[], at: (offset: number) => string) {
  const where = (node: Node, msg: string): never => {
    throw new InputError(`${at(node.offset)}: ${msg}`);
  };
  if (n.type !== "object") where(n, `${what} must be an object like {"handler": "echo", "payload": {...}} (got ${describe(getNodeValue(n))})`);
  const fields = new Map<string, Node>();
  for (const prop of n.children ?? []) {
    const [k, v] = prop.children!;
    const key = k!.value as string;
    if (!keys.includes(key)) where(k!, `unknown key "${key}" in ${what} (expected one of: ${keys.join(", ")})`);
    fields.set(key, v!);
  }
  const h = fields.get("handler");
  if (!h) where(n, `${what} has no "handler": name the job type, e.g. "handler": "pdf"`);
  const hp = tokenProblem(h!.value);
  if (hp) where(h!, `"handler" ${hp}`);
  const out: Omit<PlannedJob, "payload" | "id"> & { id?: string } = { handler: h!.value as string };
  const id = fields.get("id");
  if (id) {
    const p = tokenProblem(id.value);
    if (p) where(id, `"id" ${p}`);
    out.id = id.value as string;
  }
  for (const k of ["timeout_ms", "attempts"] as const) {
    const v = fields.get(k);
    if (v && !(v.type === "number" && Number.isInteger(v.value) && v.value > 0)) where(v, `"${k}" must be a positive whole number (got ${JSON.stringify(getNodeValue(v))})`);
    if (v) out[k] = v.value as number;
  }
  Object.assign(out, readControl(fields, where));
  return { out, fields, node: n, where };
}

