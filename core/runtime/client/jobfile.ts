// Reads a job file (one job, an array of jobs, or a batch) into a submit plan, with errors that say file:line:col.
import { createHash } from "node:crypto";
import { parseTree, printParseErrorCode, getNodeValue, type Node } from "jsonc-parser";
import { InputError } from "../protocol/errors.ts";
import { describe, tokenProblem } from "../protocol/subjects.ts";
import type { StepV1, ThenV1 } from "../protocol/codec.ts";
import { jsonNestingProblem } from "../util/json-depth.ts";
import { newId, type FilePlan, type PlannedJob, type SubmitPlan } from "./submit-plan.ts";
import { BATCH_KEYS, JOB_KEYS, SINGLE_JOB_KEYS, CHAIN_KEYS, STEP_KEYS, THEN_KEYS, readControl, readFields, readJob, readStep } from "./jobfile-fields.ts";
import { humanJsonError, scanElements } from "./json-scan.ts";

// Old import paths keep working: the plan's types and the JSON scanner moved to files of their own.
export { newId, type FilePlan, type PlannedJob, type SubmitPlan } from "./submit-plan.ts";
export { jsonSyntaxError } from "./json-scan.ts";

/**
 * Parse `text` (from `source`, for messages) into a plan. Throws InputError with file:line:col.
 * The whole file is checked before this returns, but jobs are kept as offsets into `text` and parsed
 * only when taken: a million-job batch costs its text and two numbers per job, not a million objects.
 */
export function parseJobFile(text: string, source: string): FilePlan {
  // the file's name rides with the plan: a job found too big only when it is encoded is named by it too
  return { ...readJobFile(text, source), source };
}

function readJobFile(text: string, source: string): FilePlan {
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
  const { out, fields } = readJob(root, "the job", SINGLE_JOB_KEYS, at);
  if (!fields.has("payload")) where(root, `the job has no "payload" (use {} for none)`);
  const lifo = fields.get("lifo");
  if (lifo) {
    // the schema checked it is a boolean
    if (lifo.value === true) {
      if (out.delay_ms || out.run_at !== undefined) where(lifo, `"lifo" cannot be combined with "delay" or "run_at": a delayed job is queued when due, behind what waits then`);
      out.lifo = true;
    }
  }
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

