// Reads a job file (one job, an array of jobs, or a batch) into a submit plan, with errors that say file:line:col.
import { jsonNestingProblem } from "../util/json-depth.ts";
import { createHash, randomUUID } from "node:crypto";
import { parseTree, printParseErrorCode, getNodeValue, visit, type Node, type ParseError } from "jsonc-parser";
import { ConfigError, InputError } from "../protocol/errors.ts";
import { PRIORITIES, describe, tokenProblem, type Priority } from "../protocol/subjects.ts";
import type { StepV1, ThenV1 } from "../protocol/codec.ts";
import { parseDuration } from "../util/duration.ts";
import { parseBackoff, type BackoffV1 } from "../util/job-backoff.ts";

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
  /** the longest "delay" and the latest "run_at" in the plan: checked against the delayed stream's max age */
  longestDelayMs?: number;
  latestRunAt?: number;
}

const CONTROL_KEYS = ["delay", "run_at", "priority", "backoff", "keep_result", "keep_failed"];
const JOB_KEYS = ["handler", "payload", "id", "timeout_ms", "attempts", ...CONTROL_KEYS];
const BATCH_KEYS = ["handler", "batch", "id", "timeout_ms", "attempts", "then", ...CONTROL_KEYS];
const CHAIN_KEYS = ["chain", "id", ...CONTROL_KEYS];
const STEP_KEYS = ["handler", "payload", "timeout_ms", "attempts", "priority", "batch", "delay"];
const THEN_KEYS = ["handler", "timeout_ms", "attempts", "priority", "on_failure"];

/** A new random id (subject-safe). */
export const newId = (): string => randomUUID().replaceAll("-", "").slice(0, 20);

/** A plan read from a file: its size and job types are known, its jobs can be taken more than once. */
export type FilePlan = Omit<SubmitPlan, "size" | "handlers" | "jobs"> & { size: number; handlers: string[]; largestJob: number; jobs: Iterable<PlannedJob> };

/**
 * Parse `text` (from `source`, for messages) into a plan. Throws InputError with file:line:col.
 * The whole file is checked before this returns, but jobs are kept as offsets into `text` and parsed
 * only when taken: a million-job batch costs its text and two numbers per job, not a million objects.
 */
export function parseJobFile(text: string, source: string): FilePlan {
  if (!text.trim()) throw new InputError(`${source}: the file is empty; it must hold a job, an array of jobs, or a batch (see docs/protocol.md)`);
  const at = (offset: number) => {
    let line = 1;
    let last = -1;
    for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) (line++, (last = i));
    return `${source}:${line}:${offset - last}`;
  };
  const deep = jsonNestingProblem(text);
  if (deep) throw new InputError(`${source}:${deep.line}:${deep.col}: ${deep.message}`);
  const { rootType, elements, batchArray, error } = scanElements(text);
  if (error) throw new InputError(`${at(error.offset)}: malformed JSON: ${humanJsonError(printParseErrorCode(error.error))}`);
  let largestJob = 0;
  for (let i = 0; i < elements.length; i += 2) largestJob = Math.max(largestJob, elements[i + 1]! - elements[i]!);

  if (rootType === "array") {
    const n = elements.length / 2;
    if (n === 0) throw new InputError(`${at(text.indexOf("["))}: the array of jobs is empty: nothing to submit`);
    // Each job is checked now (so nothing is published from a file with a mistake in job 90 000) and
    // parsed again when taken.
    const seen = new Map<string, number>();
    const ids = createHash("sha256");
    let allGiven = true;
    const handlers = new Set<string>();
    const read = (i: number) => {
      const base = elements[2 * i]!;
      const node = parseTree(text.slice(base, elements[2 * i + 1]!))!;
      return readJob(node, `job [${i}]`, JOB_KEYS, (o) => at(base + o));
    };
    const times: Pick<SubmitPlan, "longestDelayMs" | "latestRunAt"> = {};
    for (let i = 0; i < n; i++) {
      const { out, fields, node, where } = read(i);
      if (!fields.has("payload")) where(node, `job [${i}] has no "payload" (use {} for none)`);
      handlers.add(out.handler);
      noteTimes(times, out);
      if (out.id === undefined) {
        allGiven = false;
        continue;
      }
      const first = seen.get(out.id);
      if (first !== undefined) where(node, `job [${i}] has the same "id" as job [${first}] ("${out.id}"); ids must be unique`);
      seen.set(out.id, i);
      ids.update(out.id + "\n");
    }
    seen.clear();
    // With every id given, the batch id is derived from them, so a re-run finds the same results.
    const batch = allGiven ? "b" + ids.digest("hex").slice(0, 20) : newId();
    // Jobs without an id get a new one, fixed once for the plan (taking the jobs twice gives the same ids).
    const prefix = newId();
    return {
      kind: "list",
      batch,
      size: n,
      handlers: [...handlers],
      largestJob,
      ...times,
      jobs: {
        *[Symbol.iterator]() {
          for (let i = 0; i < n; i++) {
            const { out, fields } = read(i);
            yield { ...out, id: out.id ?? `${prefix}-${i}`, payload: getNodeValue(fields.get("payload")!) };
          }
        },
      },
    };
  }

  if (rootType === "object" && batchArray) {
    // The batch object without its (possibly huge) array: checked as before, offsets mapped back.
    const [bStart, bEnd] = batchArray;
    const small = text.slice(0, bStart) + "[]" + text.slice(bEnd);
    const shift = (o: number) => (o >= bStart + 2 ? o + (bEnd - bStart - 2) : o);
    const root = parseTree(small)!;
    const { out, node, where, fields } = readJob(root, "the batch", BATCH_KEYS, (o) => at(shift(o)));
    const n = elements.length / 2;
    if (n === 0) where(node.children!.find((p) => p.children?.[0]?.value === "batch")!.children![1]!, `"batch" is empty: nothing to submit`);
    const batch = out.id ?? newId();
    const { id: _id, ...common } = out;
    const t = fields.get("then");
    // a batch with "then": every item carries the reduce step; its result is waited for after the items'
    const then: ThenV1 | undefined = t ? { ...readStep(t, `"then"`, THEN_KEYS, (o) => at(shift(o))), id: `${batch}-then`, count: n } : undefined;
    const times: Pick<SubmitPlan, "longestDelayMs" | "latestRunAt"> = {};
    noteTimes(times, out);
    return {
      kind: "batch",
      batch,
      size: then ? n + 1 : n,
      handlers: then ? [out.handler, then.handler] : [out.handler],
      largestJob,
      ...times,
      jobs: {
        *[Symbol.iterator]() {
          for (let i = 0; i < n; i++) {
            const payload = JSON.parse(text.slice(elements[2 * i]!, elements[2 * i + 1]!));
            yield { ...common, id: `${batch}-${i}`, payload, then };
          }
          if (then) yield { id: then.id, handler: then.handler, payload: null, virtual: true };
        },
      },
    };
  }

  // One job, or a root that is neither: small, parsed whole.
  const root = parseTree(text)!;
  const where = (n: Node, msg: string): never => {
    throw new InputError(`${at(n.offset)}: ${msg}`);
  };
  if (root.type !== "object") where(root, `expected a job object, an array of jobs, or a batch object (got ${describe(getNodeValue(root))})`);
  if ((root.children ?? []).some((p) => p.children?.[0]?.value === "batch")) {
    const b = root.children!.find((p) => p.children?.[0]?.value === "batch")!.children![1]!;
    where(b, `"batch" must be an array of payloads (got ${describe(getNodeValue(b))})`);
  }
  if ((root.children ?? []).some((p) => p.children?.[0]?.value === "chain")) return readChain(root, at, text.length);
  const { out, fields } = readJob(root, "the job", JOB_KEYS, at);
  if (!fields.has("payload")) where(root, `the job has no "payload" (use {} for none)`);
  const id = out.id ?? newId();
  const times: Pick<SubmitPlan, "longestDelayMs" | "latestRunAt"> = {};
  noteTimes(times, out);
  return { kind: "single", batch: id, size: 1, handlers: [out.handler], largestJob: text.length, ...times, jobs: [{ ...out, id, payload: getNodeValue(fields.get("payload")!) }] };
}

/**
 * `{"chain": [step, ...], "id"?, "delay"?, "run_at"?, "priority"?}`: the first step is published; each
 * later one is published by the worker that finished the step before it. Step ids are `<chain>-<i>`,
 * the last one's is the chain's own id, so the chain's result is read like any job's.
 */
function readChain(root: Node, at: (offset: number) => string, size: number): FilePlan {
  const { fields, where } = readFields(root, "the chain", CHAIN_KEYS, at);
  const c = fields.get("chain")!;
  if (c.type !== "array") where(c, `"chain" must be an array of steps like {"handler": "echo", "payload"?: ...} (got ${describe(getNodeValue(c))})`);
  if (!c.children?.length) where(c, `"chain" is empty: nothing to submit`);
  const idNode = fields.get("id");
  if (idNode) {
    const p = tokenProblem(idNode.value);
    if (p) where(idNode, `"id" ${p}`);
  }
  const chain = (idNode?.value as string | undefined) ?? newId();
  const n = c.children!.length;
  const steps: StepV1[] = c.children!.map((s, i) => ({ ...readStep(s, `chain step [${i}]`, STEP_KEYS, at), id: i === n - 1 ? chain : `${chain}-${i}` }));
  // a batch step fans out and the step after it gets the list: it cannot be the last, nor (use a
  // batch with "then") the first; its items are `<step id>-<i>`
  steps.forEach((st, i) => {
    const node = c.children![i]!;
    const where = (msg: string): never => {
      throw new InputError(`${at(node.offset)}: chain step [${i}] ${msg}`);
    };
    if (st.batch === undefined) return;
    if (i === 0) where(`is a batch: a chain cannot start with one; submit a batch with "then" (its "then" may be followed by more steps as a chain of its own)`);
    if (i === n - 1) where(`is a batch but the last step: add a step after it to receive the list of the items' values`);
    if ("payload" in st) where(`has both "batch" and "payload": a batch step's payloads are its "batch" (an array), or "each" element of the previous step's value`);
  });
  const [first, ...next] = steps;
  const control = readControl(fields, where);
  const job: PlannedJob = {
    ...control,
    ...first!,
    priority: first!.priority ?? control.priority,
    payload: first!.payload ?? null,
    next: next.length ? next : undefined,
    resultId: chain,
  };
  const times: Pick<SubmitPlan, "longestDelayMs" | "latestRunAt"> = {};
  noteTimes(times, job);
  return { kind: "chain", batch: chain, size: 1, handlers: [...new Set(steps.map((s) => s.handler))], largestJob: size, ...times, jobs: [job] };
}

function noteTimes(t: Pick<SubmitPlan, "longestDelayMs" | "latestRunAt">, j: Pick<PlannedJob, "delay_ms" | "run_at">) {
  if (j.delay_ms) t.longestDelayMs = Math.max(t.longestDelayMs ?? 0, j.delay_ms);
  if (j.run_at !== undefined) t.latestRunAt = Math.max(t.latestRunAt ?? 0, j.run_at);
}

type Where = (node: Node, msg: string) => never;

function readFields(n: Node, what: string, keys: string[], at: (offset: number) => string) {
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
function readControl(fields: Map<string, Node>, where: Where): Pick<PlannedJob, "priority" | "delay_ms" | "run_at" | "backoff" | "keep_result_ms" | "keep_failed_ms"> {
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

function readStep(n: Node, what: string, keys: string[], at: (offset: number) => string): Omit<StepV1, "id"> & { on_failure?: "fail" | "null" } {
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
function readJob(n: Node, what: string, keys: string[], at: (offset: number) => string) {
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

/**
 * One pass over the text with jsonc-parser's visitor (no tree): the first syntax error, the root's
 * type, and [start, end) offsets of each job: the root array's elements, or the elements of a root
 * object's "batch" array (whose own [start, end) is `batchArray`).
 */
function scanElements(text: string): { rootType?: "object" | "array" | "value"; elements: number[]; batchArray?: [number, number]; error?: ParseError } {
  const elements: number[] = [];
  let rootType: "object" | "array" | "value" | undefined;
  let depth = 0;
  let error: ParseError | undefined;
  let batchNext = false;
  let batchArray: [number, number] | undefined;
  let inBatch = false;
  // elements live at depth 1 of a root array, or depth 2 inside the batch array
  const elementDepth = () => (rootType === "array" ? 1 : inBatch ? 2 : -1);
  const begin = (type: "object" | "array", offset: number) => {
    if (depth === 0) rootType ??= type;
    if (depth === elementDepth()) elements.push(offset);
    if (type === "array" && depth === 1 && batchNext && rootType === "object") {
      // "batch" given twice: the last one counts, as in a parsed object
      elements.length = 0;
      inBatch = true;
      batchArray = [offset, -1];
    }
    batchNext = false;
    depth++;
  };
  const end = (type: "object" | "array", offset: number) => {
    depth--;
    if (type === "array" && inBatch && depth === 1) {
      inBatch = false;
      batchArray![1] = offset + 1;
    } else if (depth === elementDepth()) elements.push(offset + 1);
  };
  visit(
    text,
    {
      onObjectBegin: (offset) => begin("object", offset),
      onObjectEnd: (offset) => end("object", offset),
      onArrayBegin: (offset) => begin("array", offset),
      onArrayEnd: (offset) => end("array", offset),
      onObjectProperty: (property) => {
        batchNext = depth === 1 && property === "batch";
      },
      onLiteralValue: (_v, offset, length) => {
        if (depth === 0) rootType ??= "value";
        if (depth === elementDepth()) elements.push(offset, offset + length);
        batchNext = false;
      },
      onError: (code, offset) => {
        error ??= { error: code, offset, length: 0 };
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return { rootType, elements, batchArray: batchArray && batchArray[1] > 0 ? batchArray : undefined, error };
}

/**
 * Where a JSON text stops being valid (JSON.parse in Bun says only what, not where): 1-based line and
 * column and a readable message, or null when the text is valid JSON. jsonc-parser finds it.
 */
export function jsonSyntaxError(text: string): { line: number; col: number; message: string } | null {
  // the parser recurses: a text nested past the limit is answered with where it gets too deep
  const deep = jsonNestingProblem(text);
  if (deep) return deep;
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const e = errors[0];
  if (!e) return null;
  const before = text.slice(0, e.offset);
  const line = before.split("\n").length;
  const cur = text[e.offset];
  // jsonc-parser says "value expected" at `]` after a trailing comma; people know the comma's name
  const trailing = before.trimEnd().endsWith(",") && (cur === "]" || cur === "}");
  const message = trailing ? `unexpected "${cur}" after "," (trailing commas are not allowed in JSON)` : humanJsonError(printParseErrorCode(e.error));
  return { line, col: e.offset - before.lastIndexOf("\n"), message };
}

function humanJsonError(code: string): string {
  const map: Record<string, string> = {
    InvalidSymbol: "unexpected character",
    InvalidNumberFormat: "invalid number",
    PropertyNameExpected: "expected a quoted key",
    ValueExpected: "expected a value",
    ColonExpected: 'expected ":"',
    CommaExpected: 'expected "," (or a closing bracket)',
    CloseBraceExpected: 'expected "}"',
    CloseBracketExpected: 'expected "]"',
    EndOfFileExpected: "unexpected content after the end",
    InvalidCommentToken: "comments are not allowed in JSON",
    UnexpectedEndOfComment: "comments are not allowed in JSON",
    UnexpectedEndOfString: "unterminated string",
    UnexpectedEndOfNumber: "unterminated number",
    InvalidUnicode: "invalid unicode escape",
    InvalidEscapeCharacter: "invalid escape character",
    InvalidCharacter: "invalid character in string",
  };
  return map[code] ?? code;
}
