// Safe templates: a base PDF is untrusted input. Before pdf-lib parses it (which inflates object streams
// whole and walks the whole page tree), check its size, object count and what its compressed streams
// inflate to with bounded inflation; then count pages with a budget instead of pdf-lib's full walk.
// Run at `template put` and when a worker loads a template version.
import { inflateSync, constants as zlibConstants } from "node:zlib";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, ParseSpeeds, type PDFObject } from "pdf-lib";
import { renderError } from "./errors.ts";

/** Caps on a template's base PDF. */
export interface TemplateLimits {
  /** largest base PDF file, bytes @defaultValue 20 MB */
  maxBaseBytes: number;
  /** most pages @defaultValue 1000 */
  maxPages: number;
  /** most PDF objects (including those inside object streams) @defaultValue 200000 */
  maxObjects: number;
  /** most bytes all compressed streams may inflate to, together @defaultValue 100 MB */
  maxStreamBytes: number;
  /** longest time checking and parsing may take, ms @defaultValue 10000 */
  maxParseMs: number;
}

/** Defaults that fit real templates (letterheads, forms, scanned designs) with room to spare. */
export const templateLimitsDefaults: TemplateLimits = {
  maxBaseBytes: 20 * 1024 * 1024,
  maxPages: 1000,
  maxObjects: 200_000,
  maxStreamBytes: 100 * 1024 * 1024,
  maxParseMs: 10_000,
};

/** The option names people set (CLI flags, env), for messages. */
const NAMES: Record<keyof TemplateLimits, string> = {
  maxBaseBytes: "max-base-size",
  maxPages: "max-pages",
  maxObjects: "max-objects",
  maxStreamBytes: "max-stream-size",
  maxParseMs: "max-parse-time",
};

function refuse(source: string, key: keyof TemplateLimits, what: string, limit: string): never {
  throw renderError("BAD_BASE_PDF", `${source} refused: ${what}, over the limit ${NAMES[key]} = ${limit} (raise it if this template is genuine)`);
}

const mb = (n: number) => (n < 1024 * 1024 ? `${n} bytes` : `${Math.round((n / 1024 / 1024) * 10) / 10} MB`);

/** Throws BAD_BASE_PDF naming the limit and its value when the base PDF exceeds one. */
export async function checkBasePdf(bytes: Uint8Array, source = "base PDF", limits: Partial<TemplateLimits> = {}): Promise<void> {
  const l = { ...templateLimitsDefaults, ...limits };
  const started = performance.now();
  const overTime = (stage: string) => {
    const ms = performance.now() - started;
    if (ms > l.maxParseMs) refuse(source, "maxParseMs", `${stage} took ${Math.round(ms)} ms`, `${l.maxParseMs} ms`);
  };
  if (bytes.length > l.maxBaseBytes) refuse(source, "maxBaseBytes", `the file is ${mb(bytes.length)}`, mb(l.maxBaseBytes));
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

  // objects: top-level `n g obj` plus the /N objects each object stream claims
  let objects = 0;
  for (const _ of text.matchAll(/\d+\s+\d+\s+obj\b/g)) objects++;
  for (const m of text.matchAll(/\/Type\s*\/ObjStm\b[^>]*?\/N\s+(\d+)|\/N\s+(\d+)[^>]*?\/Type\s*\/ObjStm\b/g)) objects += Number(m[1] ?? m[2]);
  if (objects > l.maxObjects) refuse(source, "maxObjects", `it has ${objects} objects`, String(l.maxObjects));
  overTime("counting objects");

  // streams: inflate each FlateDecode stream with a cap on the total, so a bomb stops at the cap
  let inflated = 0;
  const streamRe = /\bstream\r?\n/g;
  for (let m = streamRe.exec(text); m; m = streamRe.exec(text)) {
    const start = m.index + m[0].length;
    const end = text.indexOf("endstream", start);
    if (end < 0) break;
    streamRe.lastIndex = end + 9;
    const dictStart = text.lastIndexOf("obj", m.index);
    const dict = text.slice(Math.max(dictStart, m.index - 4096), m.index);
    if (!/\/FlateDecode\b/.test(dict)) continue;
    const budget = l.maxStreamBytes - inflated;
    try {
      const out = inflateSync(bytes.subarray(start, end), { maxOutputLength: Math.max(budget, 1), finishFlush: zlibConstants.Z_SYNC_FLUSH });
      inflated += out.length;
    } catch (err) {
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        refuse(source, "maxStreamBytes", `its compressed streams inflate to more than ${mb(l.maxStreamBytes)}`, mb(l.maxStreamBytes));
      // a corrupt stream: pdf-lib decides what it makes of it
    }
    overTime("inflating streams");
  }

  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, { updateMetadata: false, parseSpeed: ParseSpeeds.Fastest, ignoreEncryption: true });
  } catch {
    return; // unreadable: loadBasePdf reports it precisely
  }
  overTime("parsing");
  const pages = countPages(doc, l.maxPages);
  if (pages > l.maxPages) refuse(source, "maxPages", `its page tree has more than ${l.maxPages} pages`, String(l.maxPages));
  overTime("counting pages");
}

/**
 * Leaves of the page tree as pdf-lib walks it (a kid listed twice counts twice), counting at most
 * `max` + 1: a tree that fans out to millions, or loops, stops within a budget of visits.
 */
export function countPages(doc: PDFDocument, max: number): number {
  const root = doc.catalog.get(PDFName.of("Pages"));
  const stack: PDFObject[] = root ? [root] : [];
  let leaves = 0;
  let visits = 0;
  while (stack.length) {
    let node = stack.pop()!;
    if (++visits > max * 8 + 1000) return max + 1; // absurdly deep or wide trees of empty nodes
    if (node instanceof PDFRef) node = doc.context.lookup(node) as PDFObject;
    if (!(node instanceof PDFDict)) continue;
    const kids = node.get(PDFName.of("Kids"));
    const type = node.get(PDFName.of("Type"));
    if (kids instanceof PDFArray || (kids instanceof PDFRef && doc.context.lookup(kids) instanceof PDFArray)) {
      const arr = (kids instanceof PDFRef ? doc.context.lookup(kids) : kids) as PDFArray;
      for (let i = arr.size() - 1; i >= 0; i--) stack.push(arr.get(i));
    } else if (type === PDFName.of("Page") || type === undefined) {
      if (++leaves > max) return leaves;
    }
  }
  return leaves;
}

/** Environment variables for each limit (the worker's pdf handler reads them). */
export const TEMPLATE_LIMIT_ENV: Record<keyof TemplateLimits, string> = {
  maxBaseBytes: "DOCCTL_TEMPLATE_MAX_BASE_SIZE",
  maxPages: "DOCCTL_TEMPLATE_MAX_PAGES",
  maxObjects: "DOCCTL_TEMPLATE_MAX_OBJECTS",
  maxStreamBytes: "DOCCTL_TEMPLATE_MAX_STREAM_SIZE",
  maxParseMs: "DOCCTL_TEMPLATE_MAX_PARSE_TIME",
};

/**
 * Parses one limit as people write it: sizes as `20MB`, `512KB` or bytes; times as `10s`, `500ms` or
 * ms; counts as whole numbers. Throws an Error naming `where` when unreadable.
 */
export function parseLimit(key: keyof TemplateLimits, value: string, where: string): number {
  const v = value.trim();
  const bytes = key === "maxBaseBytes" || key === "maxStreamBytes";
  const time = key === "maxParseMs";
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(v);
  const units: Record<string, number> = bytes
    ? { "": 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 }
    : time
      ? { "": 1, ms: 1, s: 1000, m: 60_000 }
      : { "": 1 };
  const unit = m ? units[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0)
    throw new Error(`${where}: ${JSON.stringify(value)} is not ${bytes ? "a size like 20MB or 512KB" : time ? "a time like 10s or 500ms" : "a whole number"}`);
  return Math.round(Number(m[1]) * unit);
}

/** Limits set in the environment (DOCCTL_TEMPLATE_MAX_*); unreadable values are errors naming the variable. */
export function templateLimitsFromEnv(env: Record<string, string | undefined>): Partial<TemplateLimits> {
  const out: Partial<TemplateLimits> = {};
  for (const [key, name] of Object.entries(TEMPLATE_LIMIT_ENV) as [keyof TemplateLimits, string][])
    if (env[name]) out[key] = parseLimit(key, env[name]!, name);
  return out;
}
