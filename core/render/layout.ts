// The layout format (where each data field lands on the base PDF) and its validation: pure, no I/O.
import { renderError } from "./errors.ts";

export const FONT_NAMES = ["sans", "sans-bold", "mono"] as const;
/** A built-in font (all DejaVu: Latin, Greek, Cyrillic). */
export type FontName = (typeof FONT_NAMES)[number];
export type Align = "left" | "center" | "right";
/** What to do with text wider than `maxWidth`: wrap onto more lines, shrink the size, or nothing (may overflow). */
export type Overflow = "wrap" | "shrink" | "none";

/** How a piece of text looks. Every key is optional; `layoutDefaults` fills the gaps. */
export interface TextStyle {
  /** built-in font name (default "sans") */
  font?: FontName;
  /** font size in points (default 10) */
  size?: number;
  /** "#rrggbb" or "#rgb" (default "#000000") */
  color?: string;
  /** left: text starts at x; right: ends at x + maxWidth (or at x without maxWidth); center: centred in the box (or on x) */
  align?: Align;
  /** width of the text box in points; enables wrapping/shrinking */
  maxWidth?: number;
  /** default "wrap" when maxWidth is set, else "none" */
  overflow?: Overflow;
  /** with wrap: more lines than this is a TEXT_OVERFLOW error (default unlimited) */
  maxLines?: number;
  /** with shrink: smallest size allowed before TEXT_OVERFLOW (default 6) */
  minSize?: number;
  /** distance between baselines as a multiple of the size (default 1.2) */
  lineHeight?: number;
}

/** Where the text comes from: a data path, or a Mustache text with {{paths}}. */
export interface TextSource {
  /** dot path into the data ("customer.name", "items.0.sku"); in a table column, into the row; "$row" = 1-based row number */
  field?: string;
  /** literal text with Mustache placeholders ("Invoice {{number}}"); {{$page}} and {{$pages}} are page numbers */
  text?: string;
  /** a missing value prints as "" (or `default`) instead of failing with MISSING_FIELD */
  optional?: boolean;
  /** printed when the value is missing */
  default?: string;
}

/** One placed field. Coordinates are points from the page's top-left corner; `y` is the top of the text box. */
export interface FieldSpec extends TextStyle, TextSource {
  /** 1-based page of the base PDF */
  page: number;
  x: number;
  y: number;
  /** also draw on every continuation page made from this page (headers, "Page {{$page}} of {{$pages}}") */
  repeat?: boolean;
}

/** One column of a table; `field` is a path into the row object. */
export interface ColumnSpec extends TextStyle, TextSource {
  x: number;
  /** column width in points: the text box (maxWidth) of each cell */
  width: number;
}

/** A field placed after the last row of a table: `dy` points below the table's end. */
export interface AfterSpec extends TextStyle, TextSource {
  x: number;
  dy: number;
}

/** Repeated rows (line items) that flow onto continuation pages when they run out of room. */
export interface TableSpec {
  /** dot path to the array of rows in the data */
  rows: string;
  /** 1-based page the table starts on */
  page: number;
  /** y of the first row's top on `page` */
  top: number;
  /** rows must end above this y; the next row goes to a continuation page */
  bottom: number;
  /** base page copied for continuation pages (default: `page`) */
  continuePage?: number;
  /** y of the first row's top on continuation pages (default: `top`) */
  continueTop?: number;
  /** extra space below each row in points (default 2) */
  rowGap?: number;
  /** smallest row height in points (default 0: the tallest cell decides) */
  minRowHeight?: number;
  /** no rows at all is allowed (default true) */
  allowEmpty?: boolean;
  columns: ColumnSpec[];
  /** fields below the last row (totals); they move to a continuation page together if they do not fit */
  after?: AfterSpec[];
}

/** PDF form fields in the base: filled by name from the data, then flattened. */
export interface FormSpec {
  /** form field name -> data path; fields not listed are filled from the data path equal to their name, if present */
  fields?: Record<string, string>;
  /** every form field listed in `fields` must have a value (default false: missing ones stay empty) */
  required?: boolean;
}

export interface Layout {
  /** format version: 1 */
  version?: 1;
  /** style defaults for every field, column and after-field */
  defaults?: TextStyle;
  fields?: FieldSpec[];
  tables?: TableSpec[];
  /**
   * 1-based base pages that are not printed on their own: designs used only as a table's
   * `continuePage` (a lighter header for pages 2, 3 ...). Fields on them need `repeat: true`.
   */
  omitPages?: number[];
  form?: FormSpec;
}

/** The built-in defaults, merged under `layout.defaults`. */
export const layoutDefaults: Required<Omit<TextStyle, "maxWidth" | "overflow" | "maxLines">> = {
  font: "sans",
  size: 10,
  color: "#000000",
  align: "left",
  minSize: 6,
  lineHeight: 1.2,
};

const STYLE_KEYS = ["font", "size", "color", "align", "maxWidth", "overflow", "maxLines", "minSize", "lineHeight"];
const SOURCE_KEYS = ["field", "text", "optional", "default"];
const KEYS = {
  root: ["version", "defaults", "fields", "tables", "omitPages", "form", "$schema", "comment"],
  field: [...STYLE_KEYS, ...SOURCE_KEYS, "page", "x", "y", "repeat", "comment"],
  column: [...STYLE_KEYS, ...SOURCE_KEYS, "x", "width", "comment"],
  after: [...STYLE_KEYS, ...SOURCE_KEYS, "x", "dy", "comment"],
  table: ["rows", "page", "top", "bottom", "continuePage", "continueTop", "rowGap", "minRowHeight", "allowEmpty", "columns", "after", "comment"],
  form: ["fields", "required", "comment"],
};

/** What validation needs to know about the base PDF. */
export interface BaseInfo {
  /** number of pages */
  pageCount: number;
  /** [width, height] of each page in points */
  pageSizes?: [number, number][];
}

/**
 * Checks a parsed layout against the base PDF and returns it typed, or throws BAD_LAYOUT listing
 * every problem as `<source>: <path>: <what is wrong>`.
 */
export function validateLayout(raw: unknown, base: BaseInfo, source = "layout.json"): Layout {
  const problems = layoutProblems(raw, base);
  if (problems.length) {
    const lines = problems.map((p) => `${source}: ${p}`);
    throw renderError("BAD_LAYOUT", lines.length === 1 ? lines[0] : `${lines.length} problems in ${source}:\n  ${lines.join("\n  ")}`);
  }
  return raw as Layout;
}

/** Every problem in a layout, as `path: message` strings (empty when valid). */
export function layoutProblems(raw: unknown, base: BaseInfo): string[] {
  const out: string[] = [];
  const add = (path: string, msg: string) => out.push(`${path}: ${msg}`);
  if (!isObject(raw)) return [`the layout must be a JSON object (got ${typeName(raw)})`];
  unknownKeys(raw, KEYS.root, "", add);
  if (raw.version !== undefined && raw.version !== 1) add("version", `unsupported version ${JSON.stringify(raw.version)} (this docctl reads version 1)`);
  if (raw.defaults !== undefined) {
    if (!isObject(raw.defaults)) add("defaults", `must be an object (got ${typeName(raw.defaults)})`);
    else {
      unknownKeys(raw.defaults, STYLE_KEYS, "defaults", add);
      checkStyle(raw.defaults, "defaults", add);
    }
  }
  const page = (v: unknown, path: string) => {
    if (!Number.isInteger(v)) return add(path, `must be a whole page number from 1 (got ${JSON.stringify(v)})`);
    const n = v as number;
    if (n < 1 || n > base.pageCount)
      add(path, `page ${n} does not exist (the base PDF has ${base.pageCount} page${base.pageCount === 1 ? "" : "s"})`);
  };
  // A position off the page would print nothing, silently: say so.
  const onPage = (pageNo: unknown, x: unknown, y: unknown, p: string, add: Add, yOnly = false) => {
    const size = Number.isInteger(pageNo) ? base.pageSizes?.[(pageNo as number) - 1] : undefined;
    if (!size) return;
    const [w, h] = size;
    const where = yOnly ? p : `${p}.y`;
    if (typeof x === "number" && (x < 0 || x > w)) add(`${p}.x`, `${x} is off the page (page ${pageNo} is ${round(w)}pt wide)`);
    if (typeof y === "number" && (y < 0 || y > h)) add(where, `${y} is off the page (page ${pageNo} is ${round(h)}pt tall; y is measured from the top)`);
  };
  const omitted = new Set<number>();
  arrayAt(raw, "omitPages", add).forEach((n, i) => {
    page(n, `omitPages[${i}]`);
    if (Number.isInteger(n)) omitted.add(n as number);
  });
  if (base.pageCount > 0 && omitted.size >= base.pageCount) add("omitPages", `leaves no page to print (the base PDF has ${base.pageCount} page${base.pageCount === 1 ? "" : "s"})`);
  const fields = arrayAt(raw, "fields", add);
  fields.forEach((f, i) => {
    const p = `fields[${i}]`;
    if (!isObject(f)) return add(p, `must be an object (got ${typeName(f)})`);
    unknownKeys(f, KEYS.field, p, add);
    page(f.page, `${p}.page`);
    num(f, "x", p, add, true);
    num(f, "y", p, add, true);
    onPage(f.page, f.x, f.y, p, add);
    if (omitted.has(f.page as number) && f.repeat !== true)
      add(`${p}.page`, `page ${f.page} is in omitPages, so it is only printed as continuation pages: add "repeat": true to print this field there`);
    bool(f, "repeat", p, add);
    checkSource(f, p, add);
    checkStyle(f, p, add);
  });
  const tables = arrayAt(raw, "tables", add);
  const tablePages = new Map<number, number>();
  tables.forEach((t, i) => {
    const p = `tables[${i}]`;
    if (!isObject(t)) return add(p, `must be an object (got ${typeName(t)})`);
    unknownKeys(t, KEYS.table, p, add);
    if (typeof t.rows !== "string" || !t.rows) add(`${p}.rows`, `must be the data path of the rows array, e.g. "items" (got ${JSON.stringify(t.rows)})`);
    page(t.page, `${p}.page`);
    if (t.continuePage !== undefined) page(t.continuePage, `${p}.continuePage`);
    if (Number.isInteger(t.page)) {
      const other = tablePages.get(t.page as number);
      if (other !== undefined) add(`${p}.page`, `tables[${other}] already starts on page ${t.page}; one table per page`);
      else tablePages.set(t.page as number, i);
    }
    num(t, "top", p, add, true);
    num(t, "bottom", p, add, true);
    onPage(t.page, undefined, t.top, `${p}.top`, add, true);
    if (omitted.has(t.page as number)) add(`${p}.page`, `page ${t.page} is in omitPages; a table must start on a printed page`);
    num(t, "continueTop", p, add);
    num(t, "rowGap", p, add, false, 0);
    num(t, "minRowHeight", p, add, false, 0);
    bool(t, "allowEmpty", p, add);
    if (typeof t.top === "number" && typeof t.bottom === "number" && t.bottom <= t.top)
      add(`${p}.bottom`, `must be below top (y grows downwards from the top of the page): top ${t.top}, bottom ${t.bottom}`);
    if (typeof t.continueTop === "number" && typeof t.bottom === "number" && t.bottom <= t.continueTop)
      add(`${p}.continueTop`, `must be above bottom ${t.bottom} (got ${t.continueTop})`);
    const sizes = base.pageSizes;
    if (sizes && Number.isInteger(t.page) && sizes[(t.page as number) - 1] && typeof t.bottom === "number") {
      const h = sizes[(t.page as number) - 1][1];
      if (t.bottom > h) add(`${p}.bottom`, `${t.bottom} is below the page's bottom edge (page ${t.page} is ${round(h)}pt tall)`);
    }
    if (!Array.isArray(t.columns) || t.columns.length === 0) add(`${p}.columns`, `must be a non-empty array of columns`);
    else
      t.columns.forEach((c, j) => {
        const cp = `${p}.columns[${j}]`;
        if (!isObject(c)) return add(cp, `must be an object (got ${typeName(c)})`);
        unknownKeys(c, KEYS.column, cp, add);
        num(c, "x", cp, add, true);
        num(c, "width", cp, add, true, 1);
        if (c.maxWidth !== undefined) add(`${cp}.maxWidth`, `columns use "width" as their text box; remove maxWidth`);
        checkSource(c, cp, add);
        checkStyle(c, cp, add);
      });
    const after = arrayAt(t, "after", add, p);
    after.forEach((a, j) => {
      const ap = `${p}.after[${j}]`;
      if (!isObject(a)) return add(ap, `must be an object (got ${typeName(a)})`);
      unknownKeys(a, KEYS.after, ap, add);
      num(a, "x", ap, add, true);
      num(a, "dy", ap, add, true);
      checkSource(a, ap, add);
      checkStyle(a, ap, add);
    });
  });
  if (raw.form !== undefined) {
    if (!isObject(raw.form)) add("form", `must be an object (got ${typeName(raw.form)})`);
    else {
      unknownKeys(raw.form, KEYS.form, "form", add);
      bool(raw.form, "required", "form", add);
      if (raw.form.fields !== undefined) {
        if (!isObject(raw.form.fields)) add("form.fields", `must map form field names to data paths`);
        else
          for (const [k, v] of Object.entries(raw.form.fields))
            if (typeof v !== "string" || !v) add(`form.fields.${k}`, `must be a data path string (got ${JSON.stringify(v)})`);
      }
    }
  }
  return out;
}

type Add = (path: string, msg: string) => void;

function checkSource(o: Record<string, unknown>, p: string, add: Add) {
  const hasField = o.field !== undefined;
  const hasText = o.text !== undefined;
  if (hasField === hasText) add(p, `needs exactly one of "field" (a data path) or "text" (a Mustache text)`);
  if (hasField && (typeof o.field !== "string" || !o.field)) add(`${p}.field`, `must be a data path string (got ${JSON.stringify(o.field)})`);
  if (hasText && typeof o.text !== "string") add(`${p}.text`, `must be a string (got ${typeName(o.text)})`);
  bool(o, "optional", p, add);
  if (o.default !== undefined && typeof o.default !== "string") add(`${p}.default`, `must be a string (got ${typeName(o.default)})`);
}

function checkStyle(o: Record<string, unknown>, p: string, add: Add) {
  if (o.font !== undefined && !FONT_NAMES.includes(o.font as FontName))
    add(`${p}.font`, `unknown font ${JSON.stringify(o.font)} (built in: ${FONT_NAMES.join(", ")})`);
  num(o, "size", p, add, false, 0.5);
  num(o, "maxWidth", p, add, false, 1);
  num(o, "minSize", p, add, false, 0.5);
  num(o, "lineHeight", p, add, false, 0.5);
  if (o.maxLines !== undefined && (!Number.isInteger(o.maxLines) || (o.maxLines as number) < 1))
    add(`${p}.maxLines`, `must be a whole number from 1 (got ${JSON.stringify(o.maxLines)})`);
  if (o.color !== undefined && (typeof o.color !== "string" || !/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(o.color)))
    add(`${p}.color`, `must be "#rrggbb" or "#rgb" (got ${JSON.stringify(o.color)})`);
  if (o.align !== undefined && !["left", "center", "right"].includes(o.align as string))
    add(`${p}.align`, `must be "left", "center" or "right" (got ${JSON.stringify(o.align)})`);
  if (o.overflow !== undefined && !["wrap", "shrink", "none"].includes(o.overflow as string))
    add(`${p}.overflow`, `must be "wrap", "shrink" or "none" (got ${JSON.stringify(o.overflow)})`);
}

function num(o: Record<string, unknown>, key: string, p: string, add: Add, required = false, min?: number) {
  const v = o[key];
  if (v === undefined) {
    if (required) add(`${p}.${key}`.replace(/^\./, ""), `is required (a number of points)`);
    return;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) return add(`${p}.${key}`.replace(/^\./, ""), `must be a number (got ${JSON.stringify(v)})`);
  if (min !== undefined && v < min) add(`${p}.${key}`.replace(/^\./, ""), `must be at least ${min} (got ${v})`);
}

function bool(o: Record<string, unknown>, key: string, p: string, add: Add) {
  if (o[key] !== undefined && typeof o[key] !== "boolean") add(`${p}.${key}`, `must be true or false (got ${JSON.stringify(o[key])})`);
}

function arrayAt(o: Record<string, unknown>, key: string, add: Add, p = ""): unknown[] {
  const v = o[key];
  const path = p ? `${p}.${key}` : key;
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    add(path, `must be an array (got ${typeName(v)})`);
    return [];
  }
  return v;
}

function unknownKeys(o: Record<string, unknown>, known: string[], p: string, add: Add) {
  for (const k of Object.keys(o))
    if (!known.includes(k)) add(p ? `${p}.${k}` : k, `unknown key (known here: ${known.filter((x) => x !== "comment" && x !== "$schema").join(", ")})`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
