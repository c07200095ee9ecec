// The layout format: what a layout may say, as TypeBox schemas from which its types are derived
// (`Static<typeof ...>`), with the names, kinds and defaults beside them. No code but constants.
//
// The SHAPE lives here: each object's keys (anything else is an "unknown key" naming the known ones),
// which are required, each value's type, enums and numeric bounds, and how each problem reads (the
// `problem` templates of protocol/schema.ts, in today's words). layout/shape.ts checks an object
// against these with ajv. What a schema cannot say stays as code in layout/validate.ts, fields.ts and
// tables.ts: pages against the base PDF (existence, omitPages, one table or flowing field per page,
// positions off the page), font names against the built-in and the template's fonts, locales, time
// zones, formats and Mustache texts, hyphenation patterns, assets, and the rules across keys (exactly
// one of field/text, flow's keys, bottom below top, justify needs maxWidth, columns' maxWidth).
import { Type, type Static, type TObject, type TOptional, type TProperties, type TSchema } from "@sinclair/typebox";

export const BUILTIN_FONTS = ["sans", "sans-bold", "mono"] as const;
/** @deprecated the built-in font names; layouts may also name the template's own fonts */
export const FONT_NAMES = BUILTIN_FONTS;
/** A built-in font (all DejaVu: Latin, Greek, Cyrillic, Arabic and Hebrew in part). */
export type BuiltinFontName = (typeof BUILTIN_FONTS)[number];
/** A font name: built-in, or one stored with the template (`--font NAME=FILE`). */
export type FontName = string;
/** One font, or several tried in order for each character (fallback). */
export type FontSpec = FontName | FontName[];
export const FIELD_KINDS = ["text", "image", "qr", "barcode", "line", "rect", "ellipse"] as const;
/** What a layout field draws. */
export type FieldKind = (typeof FIELD_KINDS)[number];
export const BARCODE_TYPES = [
  "code128", "ean13", "ean8", "upca", "upc-a", "upce", "upc-e", "code39", "codabar", "itf14",
  "gs1-128", "sscc18", "datamatrix", "gs1datamatrix", "pdf417", "aztec", "maxicode",
] as const;
export const ALIGNS = ["left", "center", "right", "start", "end", "justify"] as const;
/** left/center/right; start/end follow each line's direction (start is right for Arabic or Hebrew text) */
export type Align = (typeof ALIGNS)[number];
export const OVERFLOWS = ["wrap", "shrink", "none"] as const;
/** What to do with text wider than `maxWidth`: wrap onto more lines, shrink the size, or nothing (may overflow). */
export type Overflow = (typeof OVERFLOWS)[number];

// ---- the value schemas, each with its message ({at} is the path, e.g. fields[3].x) ----
const quoted = (xs: readonly (string | number)[], last = "or") => xs.map((x) => (typeof x === "string" ? `"${x}"` : String(x))).slice(0, -1).join(", ") + ` ${last} ` + (typeof xs[xs.length - 1] === "string" ? `"${xs[xs.length - 1]}"` : String(xs[xs.length - 1]));
/** One of `values`, typed as their union. */
const oneOf = <T extends readonly (string | number)[]>(values: T, problem: string) => Type.Unsafe<T[number]>({ enum: [...values], problem });
/** A number of points (`min`: the smallest allowed). */
const points = (min?: number) =>
  Type.Number({
    ...(min === undefined ? {} : { minimum: min }),
    problem: { "*": "{at}: must be a number (got {json})", required: "{at}: is required (a number of points)", minimum: "{at}: must be at least {limit} (got {value})" },
  });
const flag = () => Type.Boolean({ problem: "{at}: must be true or false (got {json})" });
const whole = () => Type.Integer({ minimum: 1, problem: "{at}: must be a whole number from 1 (got {json})" });
/** A 1-based page number; whether the base has it is checked in code (context.ts `page`). */
const pageNo = () => Type.Integer({ problem: "{at}: must be a whole page number from 1 (got {json})" });
const HEX = "#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})";
const colour = (none = false) =>
  Type.String({ pattern: none ? `^(${HEX}|none)$` : `^${HEX}$`, problem: `{at}: must be "#rrggbb" or "#rgb"${none ? ' or "none"' : ""} (got {json})` });
const dataPath = () => Type.String({ minLength: 1, problem: "{at}: must be a data path string (got {json})" });
const text = () => Type.String({ problem: "{at}: must be a string (got {got})" });
/** A font name, or a list tried in order (the type; the check is code, against the template's fonts: CSTYLE). */
const fontSpec = () => Type.Union([Type.String(), Type.Array(Type.String())]);
const comment = () => Type.Unknown();

/** Every key a text style may have (see TextStyle); `min` bounds are those layout validation has always had. */
const STYLE = {
  /** font name, or a list tried in order per character (default "sans") */
  font: fontSpec(),
  /** font size in points (default 10) */
  size: points(0.5),
  /** "#rrggbb" or "#rgb" (default "#000000") */
  color: colour(),
  /** left: text starts at x; right: ends at x + maxWidth (or at x without maxWidth); center: centred in the box (or on x) */
  align: oneOf(ALIGNS, `{at}: must be ${quoted(ALIGNS)} (got {json})`),
  /** width of the text box in points; enables wrapping/shrinking */
  maxWidth: points(1),
  /** default "wrap" when maxWidth is set, else "none" */
  overflow: oneOf(OVERFLOWS, `{at}: must be ${quoted(OVERFLOWS)} (got {json})`),
  /** with wrap: more lines than this is a TEXT_OVERFLOW error (default unlimited) */
  maxLines: whole(),
  /** with shrink: smallest size allowed before TEXT_OVERFLOW (default 6) */
  minSize: points(0.5),
  /** distance between baselines as a multiple of the size (default 1.2) */
  lineHeight: points(0.5),
  /** with wrap: break words by the hyphenation patterns of the field's locale language (default false) */
  hyphenate: flag(),
};
/** Where the text comes from: a data path, or a Mustache text with {{paths}}. */
const SOURCE = {
  /** dot path into the data ("customer.name", "items.0.sku"); in a table column, into the row; "$row" = 1-based row number */
  field: dataPath(),
  /** literal text with Mustache placeholders ("Invoice {{number}}"); {{$page}} and {{$pages}} are page numbers */
  text: text(),
  /** a missing value prints as "" (or `default`) instead of failing with MISSING_FIELD */
  optional: flag(),
  /** printed when the value is missing */
  default: text(),
  /** Intl formatting of the value: "number", "number:2", "currency:EUR", "percent", "date", "date:long", "datetime", "time" */
  format: Type.String({ problem: '{at}: must be a string like "currency:EUR"' }),
  /** locale for `format` and `{{x | ...}}` pipes (default: the layout's `locale`, else "en-US") */
  locale: Type.String({ problem: "{at}: must be a locale string" }),
  /** IANA time zone for dates with a time of day (default: the job's `tz`, else UTC) */
  tz: Type.String({ problem: "{at}: must be a time zone name" }),
};
/** Where a field is placed (every kind has these; a line cannot be turned). */
const PLACE = {
  /** what to draw (default "text") */
  kind: oneOf(FIELD_KINDS, `{at}: unknown kind {json} (known: ${FIELD_KINDS.join(", ")})`),
  /** 1-based page of the base PDF */
  page: pageNo(),
  x: points(),
  y: points(),
  /** also draw on every continuation page made from this page (headers, "Page {{$page}} of {{$pages}}") */
  repeat: flag(),
  /** turn the field clockwise by 90, 180 or 270 degrees; (x, y) stays the top-left corner of the turned box */
  rotate: oneOf([0, 90, 180, 270] as const, "{at}: must be 0, 90, 180 or 270 (degrees clockwise; got {json})"),
  comment: comment(),
};
/** A flowing text field's frame (`flow: true`). */
const FLOW = {
  /** text: flow on onto continuation pages when the text runs past `bottom` (needs maxWidth) */
  flow: flag(),
  /** flow: the y the text must end above on every page */
  bottom: points(),
  /** flow: base page copied for continuation pages (default: `page`) */
  continuePage: pageNo(),
  /** flow: y of the text's top on continuation pages (default: `y`) */
  continueTop: points(),
  /** flow: fewest lines of a paragraph left at the foot of a page (default 2) */
  orphans: whole(),
  /** flow: fewest lines of a paragraph carried to the top of the next page (default 2) */
  widows: whole(),
};
/** The keys of the graphic kinds; each kind's bounds are set in KIND_SCHEMAS. */
const GRAPHIC = {
  /** image, barcode, rect: the box's size in points */
  width: points(),
  height: points(),
  /** image: an asset stored with the template (`--asset NAME=FILE`) instead of a data field */
  asset: Type.String(),
  /** image: how the picture fills its box: "contain" (default: all of it, centred), "cover" (all the box, cropped), "fill" (stretched) */
  fit: oneOf(["contain", "cover", "fill"] as const, '{at}: must be "contain", "cover" or "fill" (got {json})'),
  /** qr: the side of the square in points */
  qrSize: points(8),
  /** qr: error correction level "L", "M" (default), "Q" or "H" */
  ecLevel: oneOf(["L", "M", "Q", "H"] as const, '{at}: must be "L", "M", "Q" or "H" (got {json})'),
  /** barcode: symbology */
  type: oneOf(BARCODE_TYPES, `{at}: must be one of ${BARCODE_TYPES.join(", ")} (got {json})`),
  /** barcode: print the human-readable text below the bars (default false) */
  showText: flag(),
  /** line: the end point */
  x2: points(),
  y2: points(),
  /** line, rect: stroke width in points (default 1) */
  lineWidth: points(0),
  /** rect, line: stroke colour ("none": no stroke; default "#000000") */
  stroke: colour(true),
  /** rect, ellipse: fill colour (default none) */
  fill: colour(true),
  /** rect: corner radius in points (default 0) */
  radius: points(0),
};

type Closed<P extends TProperties, R extends keyof P> = TObject<{ [K in keyof P]: K extends R ? P[K] : TOptional<P[K]> }>;
/**
 * A closed object of `props` (`required` must be there): any other key is reported with the keys known
 * here, a non-object with what it is. `root`: the layout itself (its keys' paths have no parent).
 */
function closed<P extends TProperties, R extends keyof P & string = never>(props: P, required: readonly R[] = [], root = false): Closed<P, R> {
  const known = Object.keys(props).filter((k) => k !== "comment" && k !== "$schema");
  const optional = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, (required as readonly string[]).includes(k) ? s : Type.Optional(s)]));
  return Type.Object(optional, {
    additionalProperties: false,
    problem: { type: "{at}: must be an object (got {got})", additionalProperties: `${root ? "{key}" : "{at}.{key}"}: unknown key (known here: ${known.join(", ")})` },
  }) as unknown as Closed<P, R>;
}
const list = <T extends TSchema>(item: T, extra: object = {}) => Type.Array(item, { problem: "{at}: must be an array (got {got})", ...extra });
const pick = <K extends string>(pool: Record<string, TSchema>, keys: readonly K[], over: Partial<Record<K, TSchema>> = {}) =>
  Object.fromEntries(keys.map((k) => [k, over[k] ?? pool[k]!])) as Record<K, TSchema>;

/** How a piece of text looks. Every key is optional; `layoutDefaults` fills the gaps. */
export const TextStyleSchema = closed(STYLE);
export type TextStyle = Static<typeof TextStyleSchema>;
/** Where the text comes from: a data path, or a Mustache text with {{paths}}. */
export const TextSourceSchema = closed(SOURCE);
export type TextSource = Static<typeof TextSourceSchema>;

/** One placed field. Coordinates are points from the page's top-left corner; `y` is the top of the text box. */
export const FieldSchema = closed({ ...STYLE, ...SOURCE, ...PLACE, ...FLOW, ...GRAPHIC }, ["page", "x", "y"]);
export type FieldSpec = Static<typeof FieldSchema>;

/** One column of a table; `field` is a path into the row object. */
export const ColumnSchema = closed({ ...STYLE, ...SOURCE, x: points(), /** column width in points: the text box (maxWidth) of each cell */ width: points(1), comment: comment() }, ["x", "width"]);
export type ColumnSpec = Static<typeof ColumnSchema>;

/** A field placed after the last row of a table: `dy` points below the table's end. */
export const AfterSchema = closed({ ...STYLE, ...SOURCE, x: points(), dy: points(), comment: comment() }, ["x", "dy"]);
export type AfterSpec = Static<typeof AfterSchema>;

const TABLE = {
  /** dot path to the array of rows in the data */
  rows: Type.String({ minLength: 1, problem: '{at}: must be the data path of the rows array, e.g. "items" (got {json})' }),
  /** 1-based page the table starts on */
  page: pageNo(),
  /** y of the first row's top on `page` */
  top: points(),
  /** rows must end above this y; the next row goes to a continuation page */
  bottom: points(),
  /** base page copied for continuation pages (default: `page`) */
  continuePage: pageNo(),
  /** y of the first row's top on continuation pages (default: `top`) */
  continueTop: points(),
  /** extra space below each row in points (default 2) */
  rowGap: points(0),
  /** smallest row height in points (default 0: the tallest cell decides) */
  minRowHeight: points(0),
  /** no rows at all is allowed (default true) */
  allowEmpty: flag(),
  columns: list(ColumnSchema, { minItems: 1, problem: "{at}: must be a non-empty array of columns" }),
  /** fields below the last row (totals); they move to a continuation page together if they do not fit */
  after: list(AfterSchema),
  comment: comment(),
};
/** Repeated rows (line items) that flow onto continuation pages when they run out of room. */
export const TableSchema = closed(TABLE, ["rows", "page", "top", "bottom", "columns"]);
export type TableSpec = Static<typeof TableSchema>;

/** PDF form fields in the base: filled by name from the data, then flattened. */
export const FormSchema = closed({
  /** form field name -> data path; fields not listed are filled from the data path equal to their name, if present */
  fields: Type.Record(Type.String(), dataPath(), { problem: { type: "{at}: must map form field names to data paths" } }),
  /** every form field listed in `fields` must have a value (default false: missing ones stay empty) */
  required: flag(),
  /** font(s) for the values: each value in the first that has all its characters (default "sans") */
  font: fontSpec(),
  comment: comment(),
});
export type FormSpec = Static<typeof FormSchema>;

const ROOT = {
  /** format version: 1 */
  version: Type.Literal(1, { problem: "{at}: unsupported version {json} (this docctl reads version 1)" }),
  /** locale for formatting numbers, currencies and dates (default "en-US") */
  locale: Type.String({ problem: "{at}: must be a locale string" }),
  /** style defaults for every field, column and after-field */
  defaults: TextStyleSchema,
  fields: list(FieldSchema),
  tables: list(TableSchema),
  /**
   * 1-based base pages that are not printed on their own: designs used only as a table's
   * `continuePage` (a lighter header for pages 2, 3 ...). Fields on them need `repeat: true`.
   */
  omitPages: list(pageNo()),
  form: FormSchema,
  $schema: comment(),
  comment: comment(),
};
/** A whole layout (the type; validation checks it a part at a time, see CHECK_SCHEMAS). */
export const LayoutSchema = closed(ROOT, [], true);
export type Layout = Static<typeof LayoutSchema>;

// What layout/shape.ts checks, one object at a time (so each field's problems come together, before
// the next field's): arrays of objects are checked item by item, and each field kind has its own keys
// and bounds (an image's box is at least 1pt, a barcode's 4pt, a rect's may be 0).
const PLACE_KEYS = ["kind", "page", "x", "y", "repeat", "rotate", "comment"] as const;
const LINE_PLACE_KEYS = ["kind", "page", "x", "y", "repeat", "comment"] as const;
// Font names and an image's asset are names the template must have: code checks them against the base
// (fields.ts), and its message lists what there is, so here they may be anything.
const named = () => Type.Unknown();
const CSTYLE = { ...STYLE, font: named() };
const POOL: Record<string, TSchema> = { ...CSTYLE, ...SOURCE, ...PLACE, ...FLOW, ...GRAPHIC, asset: named() };
const anyItems = list(Type.Unknown());
export const CHECK_SCHEMAS = {
  root: closed({ ...ROOT, defaults: closed(CSTYLE), fields: anyItems, tables: anyItems, form: closed({ ...FormSchema.properties, font: named() }) }, [], true),
  text: closed({ ...CSTYLE, ...SOURCE, ...PLACE, ...FLOW }, ["page", "x", "y"]),
  image: closed(pick(POOL, [...PLACE_KEYS, "field", "optional", "asset", "width", "height", "fit"], { width: points(1), height: points(1) }), ["page", "x", "y", "width", "height"]),
  qr: closed(pick(POOL, [...PLACE_KEYS, "field", "text", "optional", "default", "tz", "qrSize", "ecLevel", "color"]), ["page", "x", "y", "qrSize"]),
  barcode: closed(
    pick(POOL, [...PLACE_KEYS, "field", "text", "optional", "default", "tz", "type", "width", "height", "showText", "color", "size", "font"], {
      width: points(4),
      height: points(4),
    }),
    ["page", "x", "y", "type", "width", "height"],
  ),
  line: closed(pick(POOL, [...LINE_PLACE_KEYS, "x2", "y2", "lineWidth", "stroke"], { stroke: colour() }), ["page", "x", "y", "x2", "y2"]),
  rect: closed(pick(POOL, [...PLACE_KEYS, "width", "height", "lineWidth", "stroke", "fill", "radius"], { width: points(0), height: points(0) }), ["page", "x", "y", "width", "height"]),
  ellipse: closed(pick(POOL, [...PLACE_KEYS, "width", "height", "lineWidth", "stroke", "fill"], { width: points(0), height: points(0) }), ["page", "x", "y", "width", "height"]),
  table: closed({ ...TABLE, columns: list(Type.Unknown(), { minItems: 1, problem: "{at}: must be a non-empty array of columns" }), after: anyItems }, ["rows", "page", "top", "bottom", "columns"]),
  column: closed({ ...ColumnSchema.properties, font: named() }, ["x", "width"]),
  after: closed({ ...AfterSchema.properties, font: named() }, ["x", "dy"]),
};

/** The built-in defaults, merged under `layout.defaults`. */
export const layoutDefaults: Required<Omit<TextStyle, "maxWidth" | "overflow" | "maxLines" | "hyphenate">> = {
  font: "sans",
  size: 10,
  color: "#000000",
  align: "left",
  minSize: 6,
  lineHeight: 1.2,
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
