// The layout format: its types, names and defaults (what a layout may say). No code but constants.

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
export type FieldKind = "text" | "image" | "qr" | "barcode" | "line" | "rect" | "ellipse";
export const FIELD_KINDS: FieldKind[] = ["text", "image", "qr", "barcode", "line", "rect", "ellipse"];
export const BARCODE_TYPES = [
  "code128", "ean13", "ean8", "upca", "upc-a", "upce", "upc-e", "code39", "codabar", "itf14",
  "gs1-128", "sscc18", "datamatrix", "gs1datamatrix", "pdf417", "aztec", "maxicode",
] as const;
/** left/center/right; start/end follow each line's direction (start is right for Arabic or Hebrew text) */
export type Align = "left" | "center" | "right" | "start" | "end" | "justify";
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
  /** with wrap: break words by the hyphenation patterns of the field's locale language (default false) */
  hyphenate?: boolean;
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
  /** IANA time zone for dates with a time of day (default: the job's `tz`, else UTC) */
  tz?: string;
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
  /** turn the field clockwise by 90, 180 or 270 degrees; (x, y) stays the top-left corner of the turned box */
  rotate?: 0 | 90 | 180 | 270;
  /** text: flow on onto continuation pages when the text runs past `bottom` (needs maxWidth) */
  flow?: boolean;
  /** flow: the y the text must end above on every page */
  bottom?: number;
  /** flow: base page copied for continuation pages (default: `page`) */
  continuePage?: number;
  /** flow: y of the text's top on continuation pages (default: `y`) */
  continueTop?: number;
  /** flow: fewest lines of a paragraph left at the foot of a page (default 2) */
  orphans?: number;
  /** flow: fewest lines of a paragraph carried to the top of the next page (default 2) */
  widows?: number;
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
  /** rect, ellipse: fill colour (default none) */
  fill?: string;
  /** rect: corner radius in points (default 0) */
  radius?: number;
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
  /** font(s) for the values: each value in the first that has all its characters (default "sans") */
  font?: FontSpec;
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
