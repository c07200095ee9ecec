// Reads a job file (one job, an array of jobs, or a batch) into a submit plan, with errors that say file:line:col.
import { createHash, randomUUID } from "node:crypto";
import { parseTree, printParseErrorCode, getNodeValue, type Node, type ParseError } from "jsonc-parser";
import { InputError } from "../protocol/errors.ts";
import { describe, tokenProblem } from "../protocol/subjects.ts";

export interface PlannedJob {
  id: string;
  handler: string;
  payload: unknown;
  timeout_ms?: number;
  attempts?: number;
}

/** What `docctl submit` will publish. */
export interface SubmitPlan {
  kind: "single" | "list" | "batch";
  batch: string;
  jobs: PlannedJob[];
}

const JOB_KEYS = ["handler", "payload", "id", "timeout_ms", "attempts"];
const BATCH_KEYS = ["handler", "batch", "id", "timeout_ms", "attempts"];

/** A new random id (subject-safe). */
export const newId = (): string => randomUUID().replaceAll("-", "").slice(0, 20);

/** Parse `text` (from `source`, for messages) into a plan. Throws InputError with file:line:col. */
export function parseJobFile(text: string, source: string): SubmitPlan {
  if (!text.trim()) throw new InputError(`${source}: the file is empty; it must hold a job, an array of jobs, or a batch (see docs/protocol.md)`);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const at = (offset: number) => {
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const col = offset - before.lastIndexOf("\n");
    return `${source}:${line}:${col}`;
  };
  if (errors.length || !root) {
    const e = errors[0]!;
    throw new InputError(`${at(e.offset)}: malformed JSON: ${humanJsonError(printParseErrorCode(e.error))}`);
  }
  const fail = (n: Node, msg: string): never => {
    throw new InputError(`${at(n.offset)}: ${msg}`);
  };

  const readJob = (n: Node, where: string, keys: string[]) => {
    if (n.type !== "object") fail(n, `${where} must be an object like {"handler": "echo", "payload": {...}} (got ${describe(getNodeValue(n))})`);
    const fields = new Map<string, Node>();
    for (const prop of n.children ?? []) {
      const [k, v] = prop.children!;
      const key = k!.value as string;
      if (!keys.includes(key)) fail(k!, `unknown key "${key}" in ${where} (expected one of: ${keys.join(", ")})`);
      fields.set(key, v!);
    }
    const h = fields.get("handler");
    if (!h) fail(n, `${where} has no "handler": name the job type, e.g. "handler": "pdf"`);
    const hp = tokenProblem(h!.value);
    if (hp) fail(h!, `"handler" ${hp}`);
    const out: Omit<PlannedJob, "payload" | "id"> & { id?: string } = { handler: h!.value as string };
    const id = fields.get("id");
    if (id) {
      const p = tokenProblem(id.value);
      if (p) fail(id, `"id" ${p}`);
      out.id = id.value as string;
    }
    for (const k of ["timeout_ms", "attempts"] as const) {
      const v = fields.get(k);
      if (v && !(v.type === "number" && Number.isInteger(v.value) && v.value > 0)) fail(v, `"${k}" must be a positive whole number (got ${JSON.stringify(getNodeValue(v))})`);
      if (v) out[k] = v.value as number;
    }
    return { out, fields };
  };

  if (root.type === "array") {
    const jobs: PlannedJob[] = (root.children ?? []).map((n, i) => {
      const { out, fields } = readJob(n, `job [${i}]`, JOB_KEYS);
      if (!fields.has("payload")) fail(n, `job [${i}] has no "payload" (use {} for none)`);
      return { ...out, id: out.id ?? newId(), payload: getNodeValue(fields.get("payload")!) };
    });
    if (!jobs.length) fail(root, "the array of jobs is empty: nothing to submit");
    dupCheck(jobs, (i) => at((root.children ?? [])[i]!.offset));
    // With every id given, the batch id is derived from them, so a re-run finds the same results.
    const allGiven = (root.children ?? []).every((n) => n.children?.some((p) => p.children?.[0]?.value === "id"));
    const batch = allGiven ? "b" + createHash("sha256").update(jobs.map((j) => j.id).join("\n")).digest("hex").slice(0, 20) : newId();
    return { kind: "list", batch, jobs };
  }
  if (root.type !== "object") fail(root, `expected a job object, an array of jobs, or a batch object (got ${describe(getNodeValue(root))})`);
  const isBatch = (root.children ?? []).some((p) => p.children?.[0]?.value === "batch");
  if (isBatch) {
    const { out, fields } = readJob(root, "the batch", BATCH_KEYS);
    const b = fields.get("batch")!;
    if (b.type !== "array") fail(b, `"batch" must be an array of payloads (got ${describe(getNodeValue(b))})`);
    if (!b.children?.length) fail(b, `"batch" is empty: nothing to submit`);
    const batch = out.id ?? newId();
    const jobs = b.children!.map((n, i) => ({ handler: out.handler, id: `${batch}-${i}`, payload: getNodeValue(n), timeout_ms: out.timeout_ms, attempts: out.attempts }));
    return { kind: "batch", batch, jobs };
  }
  const { out, fields } = readJob(root, "the job", JOB_KEYS);
  if (!fields.has("payload")) fail(root, `the job has no "payload" (use {} for none)`);
  const id = out.id ?? newId();
  return { kind: "single", batch: id, jobs: [{ ...out, id, payload: getNodeValue(fields.get("payload")!) }] };
}

function dupCheck(jobs: PlannedJob[], where: (i: number) => string) {
  const seen = new Map<string, number>();
  jobs.forEach((j, i) => {
    const first = seen.get(j.id);
    if (first !== undefined) throw new InputError(`${where(i)}: job [${i}] has the same "id" as job [${first}] ("${j.id}"); ids must be unique`);
    seen.set(j.id, i);
  });
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
