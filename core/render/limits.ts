// Safe templates: a base PDF is untrusted input. Before pdf-lib parses it (which inflates object streams
// whole and walks the whole page tree), check its size, object count and what its compressed streams
// inflate to with bounded inflation; then count pages with a budget instead of pdf-lib's full walk.
// Run at `template put` and when a worker loads a template version.
import { inflateSync, constants as zlibConstants } from "node:zlib";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, ParseSpeeds, type PDFObject } from "pdf-lib";
import { renderError } from "./errors.ts";
import { type TemplateLimits, templateLimitsDefaults } from "./limit-values.ts";

export { type TemplateLimits, TEMPLATE_LIMIT_ENV, parseLimit, templateLimitsDefaults, templateLimitsFromEnv } from "./limit-values.ts";

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
