// Schemas that are both the TypeScript type and the check: TypeBox builds them, ajv compiles each once,
// and a small pure formatter turns ajv's errors into docctl's messages (what, where, what to do).
//
// A schema node says how its problems read with a `problem` annotation: one template for every keyword,
// or one per ajv keyword ("type", "maximum", "required", ... and "*" for the rest). Templates fill in:
//   {at}       where: the decoder's label of the node's path (`field "next"[0].id`, `"handler"`, ...)
//   {parent}   the label of the path one level up (`field "backoff"` for backoff.delay_ms)
//   {name}     the last key of the path
//   {got}      the kind of the value found ("a string", "an array", "null")
//   {json}     the value found as JSON; {value} as text; {length} its length
//   {limit}    the bound of a failed minimum/maximum/minLength/...; {tagValue} a discriminator's value as JSON
//   {key}      an unknown key (additionalProperties: false)
//   {found}    the first character of the value outside the node's `chars` annotation (a regex class)
// An error takes the template of the deepest node on its way that has one (a union's branches name no
// problem of their own: the union says it). Errors are ordered by the schema's declaration order, so
// the first problem is the one a field-by-field check would have found first.
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import type { TSchema } from "@sinclair/typebox";

/** How one schema node's problems read: a template, or templates per ajv keyword ("*": the others). */
export type ProblemNote = string | Partial<Record<string, string>>;
/** Labels a path of the checked value for messages: `["next", 0, "id"]` → `field "next"[0].id`. */
export type PathLabel = (path: (string | number)[]) => string;

// One ajv for the process: each schema is compiled once (on first use, so a CLI command that never
// decodes a job never pays for it). `problem` and `chars` are annotations (declared, so strict
// mode still catches a misspelled keyword); `reserved` is the one keyword of docctl's own.
// Two: `check` only needs yes or no, so its validator stops at the first error (smaller code, faster
// to compile on a cold process); the one that words problems collects them all.
let ajv: Ajv | undefined;
let quickAjv: Ajv | undefined;
function theAjv(all = true): Ajv {
  if (all ? ajv : quickAjv) return (all ? ajv : quickAjv)!;
  const a = new Ajv({ allErrors: all, discriminator: true, strictTypes: false, unicodeRegExp: false, validateSchema: false });
  a.addKeyword({ keyword: "problem", schemaType: ["string", "object"] });
  a.addKeyword({ keyword: "chars", schemaType: "string" });
  // `reserved: [names]`: a string that must not be one of them. A keyword of its own because the
  // standard `not: {enum}` builds and drops an error object for every valid value (the hot path).
  a.addKeyword({ keyword: "reserved", type: "string", schemaType: "array", errors: false, validate: (names: string[], s: string) => !names.includes(s) });
  return all ? (ajv = a) : (quickAjv = a);
}

/** A compiled check of `schema`: `check(v)` is true when `v` fits, else `problems(v, label)` says why. */
export interface Checker {
  readonly schema: TSchema;
  /** true when `v` fits the schema (the fast path: no message is built) */
  check(v: unknown): boolean;
  /** every problem of `v`, first-found first (empty when it fits) */
  problems(v: unknown, label?: PathLabel): string[];
  /** the first problem of `v`, or undefined when it fits */
  problem(v: unknown, label?: PathLabel): string | undefined;
  /** the first problem of `v` with where it is (to point at it in a file), or undefined when it fits */
  first(v: unknown, label?: PathLabel): Problem | undefined;
}

/** One problem: its message, and the path of the value it is about. */
export interface Problem {
  text: string;
  path: (string | number)[];
  /** what at `path` to point at: the value, the key (an unknown key), or the object (a missing key) */
  place: "value" | "key" | "object";
}

/**
 * The one way to make a Checker: the validator is compiled on first use and kept. `fast`, when given,
 * is a schema that accepts exactly the same values more cheaply (see fastTokens): `check` uses it,
 * and `schema` is only run to explain a value that failed.
 */
export function checker(schema: TSchema, fast?: TSchema): Checker {
  let validate: ValidateFunction | undefined;
  let quick: ValidateFunction | undefined;
  const run = (v: unknown): ValidateFunction => {
    validate ??= theAjv().compile(schema);
    validate(v);
    return validate;
  };
  const list = (v: unknown, label: PathLabel = plainLabel) => {
    const errors = run(v).errors;
    if (!errors?.length) return [];
    try {
      return problemList(schema, errors, v, label);
    } catch (err) {
      // A decoder must answer, never throw: should the formatter fail on an error it does not know,
      // ajv's own words at the JSON path still say what and where.
      return errors.map((e) => ({ text: `${e.instancePath || "/"} ${e.message ?? "is not valid"} (${(err as Error).message})`, path: [], place: "value" as const }));
    }
  };
  return {
    schema,
    check: (v) => (quick ??= theAjv(false).compile(fast ?? schema))(v) as boolean,
    problems: (v, label) => list(v, label).map((p) => p.text),
    problem: (v, label) => list(v, label)[0]?.text,
    first: (v, label) => list(v, label)[0],
  };
}

/**
 * `schema` with every node that is `from` (the same object) replaced by `to`: the fast twin of a schema
 * whose parts have a cheaper equivalent (a token's one regex instead of its three explained checks).
 */
export function swapNodes<T extends TSchema>(schema: T, from: TSchema, to: TSchema): T {
  const swap = (x: unknown): unknown => {
    if (x === from) return to;
    if (Array.isArray(x)) return x.map(swap);
    if (!x || typeof x !== "object") return x;
    const out: Record<string | symbol, unknown> = {};
    for (const k of Reflect.ownKeys(x)) out[k] = swap((x as Record<string | symbol, unknown>)[k]);
    return out;
  };
  return swap(schema) as T;
}

/** `a.b[2].c`, or "" for the root: the label when a decoder has no words of its own. */
export const plainLabel: PathLabel = (path) => path.map((p, i) => (typeof p === "number" ? `[${p}]` : i ? `.${p}` : p)).join("");

/** What kind of value `v` is, for messages: "null", "an array", "an object", "a string", "a number" ... */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return "a string";
  return `a ${typeof v}`;
}

interface Step {
  node: Record<string, unknown>;
  path: (string | number)[];
  /** declaration index of each key on the way: the sort key */
  order: number[];
}

/**
 * ajv's errors of `data` against `root` as docctl messages, first-found first, each once. Pure: no I/O,
 * no ajv instance; unit-tested on its own (test/runtime/schema.test.ts).
 */
export function formatProblems(root: TSchema, errors: ErrorObject[], data: unknown, label: PathLabel): string[] {
  return problemList(root, errors, data, label).map((p) => p.text);
}

/** As formatProblems, each with the path it is about (see Problem). */
export function problemList(root: TSchema, errors: ErrorObject[], data: unknown, label: PathLabel): Problem[] {
  const out: { order: number[]; i: number; p: Problem }[] = [];
  errors.forEach((e, i) => {
    const chain = walk(root, e, data);
    if (!chain) return;
    const { text, path } = render(chain, e, data, label);
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    const p: Problem =
      e.keyword === "required"
        ? { text, path: e.instancePath.split("/").slice(1).map(unescape), place: "object" }
        : e.keyword === "additionalProperties" && extra !== undefined
          ? { text, path: [...path, extra], place: "key" }
          : { text, path, place: "value" };
    out.push({ order: chain[chain.length - 1]!.order, i, p });
  });
  out.sort((a, b) => compareOrder(a.order, b.order) || a.i - b.i);
  const seen = new Set<string>();
  return out.map((o) => o.p).filter((p) => !seen.has(p.text) && !!seen.add(p.text));
}

function compareOrder(a: number[], b: number[]): number {
  for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
  return a.length - b.length;
}

const unescape = (s: string) => decodeURIComponent(s).replace(/~1/g, "/").replace(/~0/g, "~");

// The schema nodes an error passed through, root first, each with the value's path there.
function walk(root: TSchema, e: ErrorObject, data: unknown): Step[] | undefined {
  const segs = e.schemaPath.replace(/^#\/?/, "").split("/").filter(Boolean).map(unescape);
  segs.pop(); // the failing keyword itself
  const inst = e.instancePath.split("/").slice(1).map(unescape);
  let node = root as unknown as Record<string, unknown>;
  let path: (string | number)[] = [];
  let order: number[] = [];
  const chain: Step[] = [{ node, path, order }];
  let k = 0;
  const push = (next: unknown, key?: string | number, index?: number) => {
    if (!next || typeof next !== "object") return false;
    node = next as Record<string, unknown>;
    if (key !== undefined) {
      path = [...path, key];
      order = [...order, index ?? 0];
    }
    chain.push({ node, path, order });
    return true;
  };
  for (let s = 0; s < segs.length; s++) {
    const kw = segs[s]!;
    if (kw === "properties" || kw === "patternProperties") {
      const name = segs[++s]!;
      const props = node[kw] as Record<string, unknown>;
      const key = kw === "properties" ? name : inst[k]!;
      if (!push(props?.[name], key, Object.keys(props ?? {}).indexOf(name))) return undefined;
      k++;
    } else if (kw === "items" || kw === "additionalProperties") {
      const raw = inst[k++]!;
      const key = Array.isArray(valueAt(data, path)) ? Number(raw) : raw;
      if (!push(node[kw], key, typeof key === "number" ? key : 0)) return undefined;
    } else if (kw === "anyOf" || kw === "oneOf" || kw === "allOf") {
      if (!push((node[kw] as unknown[])?.[Number(segs[++s])])) return undefined;
    } else if (kw === "not") {
      if (!push(node.not)) return undefined;
    } else return chain; // a keyword with no sub-schema on the way (a ref would be here): stop at what is known
  }
  // A missing property is the property's problem: its own template says how.
  if (e.keyword === "required") {
    const name = (e.params as { missingProperty: string }).missingProperty;
    const props = (node.properties ?? {}) as Record<string, unknown>;
    if (props[name]) push(props[name], name, Object.keys(props).indexOf(name));
  }
  return chain;
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let v = data;
  for (const p of path) v = v && typeof v === "object" ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function templateOf(note: unknown, keyword: string): string | undefined {
  if (typeof note === "string") return note;
  if (note && typeof note === "object") return (note as Record<string, string>)[keyword] ?? (note as Record<string, string>)["*"];
  return undefined;
}

function render(chain: Step[], e: ErrorObject, data: unknown, label: PathLabel): { text: string; path: (string | number)[] } {
  // The deepest node that says how its problem reads; a required property's problem is a "required" one.
  for (let i = chain.length - 1; i >= 0; i--) {
    const { node, path } = chain[i]!;
    const t = templateOf(node.problem, e.keyword);
    if (t === undefined) continue;
    const v = valueAt(data, path);
    const params = e.params as Record<string, unknown>;
    const fill: Record<string, () => string> = {
      at: () => label(path),
      parent: () => label(path.slice(0, -1)),
      name: () => String(path[path.length - 1] ?? ""),
      got: () => describe(v),
      json: () => String(JSON.stringify(v)),
      value: () => String(v),
      length: () => String((v as { length?: number } | undefined)?.length),
      limit: () => String(params.limit),
      tagValue: () => String(JSON.stringify(params.tagValue)),
      key: () => String(params.additionalProperty),
      found: () => {
        const ok = new RegExp(`[${typeof node.chars === "string" ? node.chars : ""}]`);
        return JSON.stringify([...String(v)].find((c) => !ok.test(c)));
      },
    };
    return { text: t.replace(/\{(\w+)\}/g, (m, k: string) => (fill[k] ? fill[k]() : m)).trim(), path };
  }
  const path = chain[chain.length - 1]!.path;
  return { text: `${label(path)} ${e.message ?? "is not valid"}`.trim(), path };
}
