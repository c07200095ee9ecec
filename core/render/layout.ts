// The layout format (where each data field lands on the base PDF) and its validation: pure, no I/O.
import { renderError } from "./errors.ts";
import { checkLocale, parseFormat } from "./format.ts";

export const BUILTIN_FONTS = ["sans", "sans-bold", "mono"] as const;
/** @deprecated the built-in font names; layouts may also name the template's own fonts */
export const FONT_NAMES = BUILTIN_FONTS;
/** A built-in font (all DejaVu: Latin, Greek, Cyrillic, Arabic and Hebrew in part). */
export type BuiltinFontName = (typeof BUILTIN_FONTS)[number];
/** A font name: built-in, or one stored with the template (`--font NAME=FILE`). */
export type FontName = string;
/** One font, or several tried in order for each character (fallback). */
export type FontSpec = FontName | FontName[];
/** What a layout field draws. */
export type FieldKind = "text" | "image" | "qr" | "barcode" | "line" | "rect";
export const FIELD_KINDS: FieldKind[] = ["text", "image", "qr", "barcode", "line", "rect"];
export const BARCODE_TYPES = ["code128", "ean13", "ean8", "upca", "upc-a", "code39", "datamatrix", "itf14", "pdf417"] as const;
/** left/center/right; start/end follow each line's direction (start is right for Arabic or Hebrew text) */
export type Align = "left" | "center" | "right" | "start" | "end";
/** What to do with text wider than `maxWidth`: wrap onto more lines, shrink the size, or nothing (may overflow). */
export type Overflow = "wrap" | "shrink" | "none";

/** How a piece of text looks. Every key is optional; `layoutDefaults` fills the gaps. */
export interface TextStyle {
  /** font name, or a list tried in order per character (default "sans") */
  font?: FontSpec;
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
  /** Intl formatting of the value: "number", "number:2", "currency:EUR", "percent", "date", "date:long", "datetime", "time" */
  format?: string;
  /** locale for `format` and `{{x | ...}}` pipes (default: the layout's `locale`, else "en-US") */
  locale?: string;
}

/** One placed field. Coordinates are points from the page's top-left corner; `y` is the top of the text box. */
export interface FieldSpec extends TextStyle, TextSource {
  /** what to draw (default "text") */
  kind?: FieldKind;
  /** 1-based page of the base PDF */
  page: number;
  x: number;
  y: number;
  /** also draw on every continuation page made from this page (headers, "Page {{$page}} of {{$pages}}") */
  repeat?: boolean;
  /** image, barcode, rect: the box's size in points */
  width?: number;
  height?: number;
  /** image: an asset stored with the template (`--asset NAME=FILE`) instead of a data field */
  asset?: string;
  /** image: how the picture fills its box: "contain" (default: all of it, centred), "cover" (all the box, cropped), "fill" (stretched) */
  fit?: "contain" | "cover" | "fill";
  /** qr: the side of the square in points */
  qrSize?: number;
  /** qr: error correction level "L", "M" (default), "Q" or "H" */
  ecLevel?: "L" | "M" | "Q" | "H";
  /** barcode: symbology */
  type?: (typeof BARCODE_TYPES)[number];
  /** barcode: print the human-readable text below the bars (default false) */
  showText?: boolean;
  /** line: the end point */
  x2?: number;
  y2?: number;
  /** line, rect: stroke width in points (default 1) */
  lineWidth?: number;
  /** rect, line: stroke colour ("none": no stroke; default "#000000") */
  stroke?: string;
  /** rect: fill colour (default none) */
  fill?: string;
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
  /** locale for formatting numbers, currencies and dates (default "en-US") */
  locale?: string;
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
const SOURCE_KEYS = ["field", "text", "optional", "default", "format", "locale"];
const PLACE_KEYS = ["kind", "page", "x", "y", "repeat", "comment"];
const KEYS = {
  root: ["version", "locale", "defaults", "fields", "tables", "omitPages", "form", "$schema", "comment"],
  field: [...STYLE_KEYS, ...SOURCE_KEYS, ...PLACE_KEYS],
  image: [...PLACE_KEYS, "field", "optional", "asset", "width", "height", "fit"],
  qr: [...PLACE_KEYS, "field", "text", "optional", "default", "qrSize", "ecLevel", "color"],
  barcode: [...PLACE_KEYS, "field", "text", "optional", "default", "type", "width", "height", "showText", "color", "size", "font"],
  line: [...PLACE_KEYS, "x2", "y2", "lineWidth", "stroke"],
  rect: [...PLACE_KEYS, "width", "height", "lineWidth", "stroke", "fill"],
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
  /** names of the template's own fonts */
  fonts?: string[];
  /** names of the template's assets (images) */
  assets?: string[];
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
  const fontNames = [...BUILTIN_FONTS, ...(base.fonts ?? [])];
  const checkStyle = (o: Record<string, unknown>, p: string, add: Add) => checkStyleWith(o, p, add, fontNames);
  if (raw.locale !== undefined) {
    const bad = typeof raw.locale === "string" ? checkLocale(raw.locale) : "must be a locale string";
    if (bad) add("locale", bad);
  }
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
    const kind = (f.kind ?? "text") as FieldKind;
    if (!FIELD_KINDS.includes(kind)) return add(`${p}.kind`, `unknown kind ${JSON.stringify(f.kind)} (known: ${FIELD_KINDS.join(", ")})`);
    unknownKeys(f, kind === "text" ? KEYS.field : KEYS[kind], p, add);
    page(f.page, `${p}.page`);
    num(f, "x", p, add, true);
    num(f, "y", p, add, true);
    onPage(f.page, f.x, f.y, p, add);
    if (omitted.has(f.page as number) && f.repeat !== true)
      add(`${p}.page`, `page ${f.page} is in omitPages, so it is only printed as continuation pages: add "repeat": true to print this field there`);
    bool(f, "repeat", p, add);
    if (kind === "text") {
      checkSource(f, p, add);
      checkStyle(f, p, add);
    } else checkGraphic(kind, f, p, add, base.assets ?? [], fontNames);
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

function checkGraphic(kind: Exclude<FieldKind, "text">, f: Record<string, unknown>, p: string, add: Add, assets: string[], fontNames: string[]) {
  const colour = (key: string, none = false) => {
    const v = f[key];
    if (v === undefined || (none && v === "none")) return;
    if (typeof v !== "string" || !/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(v)) add(`${p}.${key}`, `must be "#rrggbb" or "#rgb"${none ? ' or "none"' : ""} (got ${JSON.stringify(v)})`);
  };
  switch (kind) {
    case "image":
      num(f, "width", p, add, true, 1);
      num(f, "height", p, add, true, 1);
      if ((f.field === undefined) === (f.asset === undefined)) add(p, `an image needs exactly one of "field" (a data URL or base64 PNG/JPEG in the data) or "asset" (an image stored with the template)`);
      if (f.field !== undefined && (typeof f.field !== "string" || !f.field)) add(`${p}.field`, `must be a data path string (got ${JSON.stringify(f.field)})`);
      if (f.asset !== undefined && !assets.includes(f.asset as string))
        add(`${p}.asset`, `the template has no asset ${JSON.stringify(f.asset)} (it has: ${assets.map((a) => JSON.stringify(a)).join(", ") || "none"}; add one with --asset NAME=FILE)`);
      if (f.fit !== undefined && !["contain", "cover", "fill"].includes(f.fit as string)) add(`${p}.fit`, `must be "contain", "cover" or "fill" (got ${JSON.stringify(f.fit)})`);
      bool(f, "optional", p, add);
      break;
    case "qr":
      checkSource(f, p, add);
      num(f, "qrSize", p, add, true, 8);
      if (f.ecLevel !== undefined && !["L", "M", "Q", "H"].includes(f.ecLevel as string)) add(`${p}.ecLevel`, `must be "L", "M", "Q" or "H" (got ${JSON.stringify(f.ecLevel)})`);
      colour("color");
      break;
    case "barcode":
      checkSource(f, p, add);
      num(f, "width", p, add, true, 4);
      num(f, "height", p, add, true, 4);
      if (!BARCODE_TYPES.includes(f.type as (typeof BARCODE_TYPES)[number])) add(`${p}.type`, `must be one of ${BARCODE_TYPES.join(", ")} (got ${JSON.stringify(f.type)})`);
      bool(f, "showText", p, add);
      num(f, "size", p, add, false, 0.5);
      if (f.font !== undefined && !fontNames.includes(f.font as string)) add(`${p}.font`, `unknown font ${JSON.stringify(f.font)} (fonts: ${fontNames.join(", ")})`);
      colour("color");
      break;
    case "line":
      num(f, "x2", p, add, true);
      num(f, "y2", p, add, true);
      num(f, "lineWidth", p, add, false, 0);
      colour("stroke");
      break;
    case "rect":
      num(f, "width", p, add, true, 0);
      num(f, "height", p, add, true, 0);
      num(f, "lineWidth", p, add, false, 0);
      colour("stroke", true);
      colour("fill", true);
      break;
  }
}

function checkSource(o: Record<string, unknown>, p: string, add: Add) {
  const hasField = o.field !== undefined;
  const hasText = o.text !== undefined;
  if (hasField === hasText) add(p, `needs exactly one of "field" (a data path) or "text" (a Mustache text)`);
  if (hasField && (typeof o.field !== "string" || !o.field)) add(`${p}.field`, `must be a data path string (got ${JSON.stringify(o.field)})`);
  if (hasText && typeof o.text !== "string") add(`${p}.text`, `must be a string (got ${typeName(o.text)})`);
  bool(o, "optional", p, add);
  if (o.default !== undefined && typeof o.default !== "string") add(`${p}.default`, `must be a string (got ${typeName(o.default)})`);
  if (o.format !== undefined) {
    const f = typeof o.format === "string" ? parseFormat(o.format) : "must be a string like \"currency:EUR\"";
    if (typeof f === "string") add(`${p}.format`, f);
  }
  if (o.locale !== undefined) {
    const bad = typeof o.locale === "string" ? checkLocale(o.locale) : "must be a locale string";
    if (bad) add(`${p}.locale`, bad);
  }
}

function checkStyleWith(o: Record<string, unknown>, p: string, add: Add, fontNames: string[]) {
  if (o.font !== undefined) {
    const list = Array.isArray(o.font) ? o.font : [o.font];
    if (list.length === 0) add(`${p}.font`, `must name at least one font`);
    for (const n of list)
      if (typeof n !== "string" || !fontNames.includes(n))
        add(`${p}.font`, `unknown font ${JSON.stringify(n)} (built in: ${BUILTIN_FONTS.join(", ")}; the template's: ${fontNames.slice(BUILTIN_FONTS.length).join(", ") || "none, add one with --font NAME=FILE.ttf"})`);
  }
  num(o, "size", p, add, false, 0.5);
  num(o, "maxWidth", p, add, false, 1);
  num(o, "minSize", p, add, false, 0.5);
  num(o, "lineHeight", p, add, false, 0.5);
  if (o.maxLines !== undefined && (!Number.isInteger(o.maxLines) || (o.maxLines as number) < 1))
    add(`${p}.maxLines`, `must be a whole number from 1 (got ${JSON.stringify(o.maxLines)})`);
  if (o.color !== undefined && (typeof o.color !== "string" || !/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(o.color)))
    add(`${p}.color`, `must be "#rrggbb" or "#rgb" (got ${JSON.stringify(o.color)})`);
  if (o.align !== undefined && !["left", "center", "right", "start", "end"].includes(o.align as string))
    add(`${p}.align`, `must be "left", "center", "right", "start" or "end" (got ${JSON.stringify(o.align)})`);
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
