// The render plan: from layout + data + page sizes to "draw this text here" operations. Pure: no PDF, no I/O.
import { renderError } from "./errors.ts";
import { dataPathName, getPath, mustacheNames, renderText, valueText } from "./data.ts";
import { type BaseInfo, type FieldSpec, type FontSpec, type Layout, type TableSpec, type TextSource, type TextStyle, layoutDefaults } from "./layout.ts";
import { alignX, fitText, isRtl, type FittedText, type MetricsSource, type ResolvedStyle } from "./text.ts";
import { flowRows } from "./table.ts";
import { flowLines } from "./flow.ts";
import { EAN_TYPES, type EanText, eanText } from "./codes.ts";
import type { Hyphenator } from "./hyphenate.ts";
import { PIPE, formatValue, parseFormat, type Format } from "./format.ts";

type RGB = [number, number, number];

/** One line of text to draw. `baseline` is measured in points from the top of the page. */
export interface TextOp {
  kind?: "text";
  /** 0-based index into `RenderPlan.pages` */
  page: number;
  x: number;
  baseline: number;
  text: string;
  font: FontSpec;
  size: number;
  /** r, g, b in 0..1 */
  color: RGB;
  /** justified text: extra points after each space */
  wordSpacing?: number;
  rot?: Rotation;
}

/** A field turned clockwise: drawn unturned with its box's top-left at (x, y), size w x h, then turned so the turned box's top-left is (x, y). */
export interface Rotation {
  angle: 90 | 180 | 270;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A picture in a box (points from the page's top-left corner). */
export interface ImageOp {
  kind: "image";
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
  fit: "contain" | "cover" | "fill";
  /** an asset of the template, or a data URL / base64 from the data */
  asset?: string;
  data?: string;
  /** who asked for it, for messages ("fields[3] (field \"logo\")") */
  where: string;  rot?: Rotation;
}

/** A QR code or barcode of `value`, encoded when drawn. */
export interface CodeOp {
  kind: "code";
  page: number;
  x: number;
  y: number;
  /** "qrcode" or a barcode type */
  type: string;
  value: string;
  width: number;
  height: number;
  ecLevel?: "L" | "M" | "Q" | "H";
  showText: boolean;
  textSize: number;
  /** EAN/UPC with showText: the GS1 layout of bars and digits (the box holds both) */
  ean?: { text: EanText; textTop: number; guardTop: number };
  font: FontSpec;
  color: RGB;
  where: string;  rot?: Rotation;
}

/** A line, rectangle (corners rounded by `radius`) or ellipse (in the box x..x2, y..y2). */
export interface ShapeOp {
  kind: "line" | "rect" | "ellipse";
  radius?: number;
  page: number;
  x: number;
  y: number;
  x2: number;
  y2: number;
  lineWidth: number;
  stroke: RGB | null;
  fill: RGB | null;
  rot?: Rotation;
}

/** Anything drawn besides text. */
export type GraphicOp = ImageOp | CodeOp | ShapeOp;
export type DrawOp = TextOp | GraphicOp;

export interface RenderPlan {
  /** the output document: for each page, the 0-based base page it is a copy of */
  pages: number[];
  /** lines of text */
  ops: TextOp[];
  /** images, codes, lines and boxes: drawn under the text, in layout order */
  graphics: GraphicOp[];
}

/** Works out every page and every line of text for `data` on a base with `base.pageSizes`. */
export function planLayout(
  layout: Layout,
  data: unknown,
  base: Required<Pick<BaseInfo, "pageCount" | "pageSizes">>,
  metrics: MetricsSource,
  hyphenator?: Hyphenator,
  tz?: string,
): RenderPlan {
  const defaults = { ...layoutDefaults, ...(layout.defaults ?? {}) };
  const ops: TextOp[] = [];
  const graphics: GraphicOp[] = [];
  const prep: Prep = { hyphenator, locale: layout.locale, tz };

  // Tables and flowing fields first: they decide how many continuation pages follow their page.
  const tables: PlannedBlock[] = [
    ...(layout.tables ?? []).map((t, i) => planTable(t, i, data, defaults, metrics, prep)),
    ...(layout.fields ?? []).flatMap((f, i) => (f.flow && (f.kind ?? "text") === "text" ? [planFlow(f, i, data, defaults, metrics, prep)] : [])),
  ];
  const pages: number[] = [];
  const firstOutputIndex: number[] = [];
  const omitted = new Set((layout.omitPages ?? []).map((n) => n - 1));
  for (let b = 0; b < base.pageCount; b++) {
    if (omitted.has(b)) continue;
    firstOutputIndex[b] = pages.length;
    pages.push(b);
    const t = tables.find((t) => t.page - 1 === b);
    if (t) {
      t.outputStart = pages.length - 1;
      for (let k = 0; k < t.continuationPages; k++) pages.push(t.continuePage - 1);
    }
  }
  for (const t of tables) for (const op of t.ops) ops.push({ ...op, page: t.outputStart + op.page });

  (layout.fields ?? []).forEach((f, i) => {
    if (f.flow) return; // planned above
    const where = `fields[${i}]`;
    const targets = f.repeat ? pages.flatMap((b, o) => (b === f.page - 1 ? [o] : [])) : [firstOutputIndex[f.page - 1]].filter((o) => o !== undefined);
    const kind = f.kind ?? "text";
    const style = resolveStyle(defaults, f);
    for (const o of targets) {
      const view = { ...(isRecord(data) ? data : {}), $page: o + 1, $pages: pages.length };
      if (kind === "text") {
        const text = prepared(sourceText(f, view, "data", where, data, prep), style, f, prep);
        const fitted = fitChecked(text, style, metrics, where, f);
        const lines = linesToOps(fitted, style, f.x, f.y, o, metrics);
        if (f.rotate) {
          const rot = rotation(f.rotate, f.x, f.y, style.maxWidth ?? Math.max(0, ...fitted.widths), fitted.height);
          // unaligned text without a box is measured from x: keep its box where the text is
          if (style.maxWidth === undefined && lines.length) rot.w = Math.max(...lines.map((l, k) => l.x - f.x + fitted.widths[k]));
          for (const l of lines) l.rot = rot;
        }
        ops.push(...lines);
      } else {
        const op = graphicOp(f, o, view, data, where, prep, defaults);
        if (!op) continue;
        graphics.push(op);
        let textOps: TextOp[] = [];
        let textHeight = 0;
        if (op.kind === "code" && op.showText && EAN_TYPES.has(op.type)) {
          // EAN/UPC: the GS1 layout, digits between (and outside) the guard bars, which reach down into the text line
          const t = eanText(op.type, op.value, where);
          const unit = op.width / (t.left + t.modules + t.right);
          const size = f.size ?? Math.max(4, Math.min(unit * 8.5, op.height * 0.3));
          op.ean = { text: t, textTop: size * 0.9, guardTop: size * 0.45 };
          const m = metrics(op.font);
          textOps = t.digits.map((d) => ({
            page: o,
            x: op.x + (t.left + d.center) * unit - (m.width(d.ch) * size) / 2,
            baseline: op.y + op.height - size * 0.12,
            text: d.ch,
            font: op.font,
            size,
            color: op.color,
          }));
          ops.push(...textOps);
        } else if (op.kind === "code" && op.showText) {
          // the human-readable text, centred under the bars
          const style = resolveStyle(defaults, { font: op.font, size: op.textSize, color: f.color, align: "center", maxWidth: op.width, overflow: "shrink", minSize: 4 });
          const fitted = fitChecked(op.value, style, metrics, where, f);
          textOps = linesToOps(fitted, style, op.x, op.y + op.height + 1, o, metrics);
          textHeight = 1 + fitted.height;
          ops.push(...textOps);
        }
        if (f.rotate && op.kind !== "line") {
          const w = op.kind === "rect" || op.kind === "ellipse" ? op.x2 - op.x : (op as ImageOp | CodeOp).width;
          const h = (op.kind === "rect" || op.kind === "ellipse" ? op.y2 - op.y : (op as ImageOp | CodeOp).height) + textHeight;
          op.rot = rotation(f.rotate, f.x, f.y, w, h);
          for (const t of textOps) t.rot = op.rot;
        }
      }
    }
  });
  return { pages, ops, graphics };
}

/** The op for an image, QR code, barcode, line or rectangle field; null for an optional one without a value. */
function graphicOp(f: FieldSpec, page: number, view: unknown, data: unknown, where: string, locale: Prep, defaults: typeof layoutDefaults & TextStyle): GraphicOp | null {
  const what = f.field !== undefined ? `${where} (field "${f.field}")` : f.asset !== undefined ? `${where} (asset "${f.asset}")` : where;
  switch (f.kind) {
    case "image": {
      if (f.asset !== undefined) return { kind: "image", page, x: f.x, y: f.y, width: f.width!, height: f.height!, fit: f.fit ?? "contain", asset: f.asset, where: what };
      const v = getPath(data, f.field!);
      if (v === undefined || v === null || v === "") {
        if (f.optional) return null;
        throw renderError("MISSING_FIELD", `${dataPathName("data", f.field!)} is missing (${where} needs an image: a data URL or base64 PNG/JPEG; or mark it "optional": true)`);
      }
      if (typeof v !== "string") throw renderError("BAD_FIELD_VALUE", `${dataPathName("data", f.field!)} must be a data URL or base64 string of a PNG or JPEG image for ${where} (got ${typeof v})`);
      return { kind: "image", page, x: f.x, y: f.y, width: f.width!, height: f.height!, fit: f.fit ?? "contain", data: v, where: what };
    }
    case "qr":
    case "barcode": {
      const value = sourceText(f, view, "data", where, data, locale);
      if (value === "") return null;
      const qr = f.kind === "qr";
      return {
        kind: "code",
        page,
        x: f.x,
        y: f.y,
        type: qr ? "qrcode" : f.type!,
        value,
        width: qr ? f.qrSize! : f.width!,
        height: qr ? f.qrSize! : f.height!,
        ecLevel: f.ecLevel,
        showText: f.showText ?? false,
        textSize: f.size ?? 8,
        font: f.font ?? defaults.font,
        color: hexColor(f.color ?? "#000000"),
        where: what,
      };
    }
    case "line":
    case "rect":
    case "ellipse": {
      const stroke = f.stroke === "none" ? null : hexColor(f.stroke ?? "#000000");
      const fill = f.fill === undefined || f.fill === "none" ? null : hexColor(f.fill);
      const x2 = f.kind === "line" ? f.x2! : f.x + f.width!;
      const y2 = f.kind === "line" ? f.y2! : f.y + f.height!;
      return { kind: f.kind, page, x: f.x, y: f.y, x2, y2, lineWidth: f.lineWidth ?? 1, stroke, fill, ...(f.radius ? { radius: f.radius } : {}) };
    }
  }
  return null;
}

/** A table or a flowing field: what it prints, and how many continuation pages it makes. */
interface PlannedBlock {
  /** 1-based base page it starts on, and the one its continuation pages copy */
  page: number;
  continuePage: number;
  continuationPages: number;
  outputStart: number;
  /** ops with `page` relative to the block's first page */
  ops: TextOp[];
}

/** What turns a source's text into the text to fit: hyphenation by locale. */
interface Prep {
  hyphenator?: Hyphenator;
  locale?: string;
  /** the job's time zone for dates with a time (a field's `tz` wins) */
  tz?: string;
}

/** The text with soft hyphens inserted when the style hyphenates. */
function prepared(text: string, style: ResolvedStyle, src: TextSource, prep: Prep): string {
  if (!style.hyphenate || !prep.hyphenator || style.maxWidth === undefined) return text;
  return prep.hyphenator(text, src.locale ?? prep.locale ?? "en-US");
}

/** A flowing text field: its lines over its page and as many continuation pages as they need. */
function planFlow(f: FieldSpec, index: number, data: unknown, defaults: typeof layoutDefaults & TextStyle, metrics: MetricsSource, prep: Prep): PlannedBlock {
  const where = `fields[${index}]`;
  const style = resolveStyle(defaults, { ...f, overflow: "wrap" });
  const text = prepared(sourceText(f, data, "data", where, data, prep), style, f, prep);
  const fitted = fitChecked(text, style, metrics, where, f);
  const lh = fitted.size * style.lineHeight;
  const top2 = f.continueTop ?? f.y;
  const capacity = (top: number) => Math.floor((f.bottom! - top) / lh + 1e-6);
  let para = 0;
  const paras = fitted.lines.map((_, i) => (i > 0 && fitted.last?.[i - 1] ? ++para : para));
  const flow = flowLines({ paras, firstCapacity: capacity(f.y), nextCapacity: capacity(top2), orphans: f.orphans ?? 2, widows: f.widows ?? 2 });
  const ascent = metrics(style.font).ascent * fitted.size;
  const ops = fitted.lines.flatMap((_, i) => {
    const { page, index: k } = flow.at[i];
    const op = lineOp(fitted, i, style, f.x, (page === 0 ? f.y : top2) + ascent + k * lh, page);
    return op ? [op] : [];
  });
  return { page: f.page, continuePage: f.continuePage ?? f.page, continuationPages: flow.continuationPages, outputStart: 0, ops };
}

function planTable(spec: TableSpec, index: number, data: unknown, defaults: typeof layoutDefaults, metrics: MetricsSource, prep: Prep): PlannedBlock {
  const locale = prep.locale;
  const where = `tables[${index}]`;
  const rowsValue = getPath(data, spec.rows);
  if (rowsValue === undefined || rowsValue === null)
    throw renderError("MISSING_FIELD", `${dataPathName("data", spec.rows)} is missing (${where}.rows needs an array of rows)`);
  if (!Array.isArray(rowsValue))
    throw renderError("BAD_FIELD_VALUE", `${dataPathName("data", spec.rows)} must be an array of rows for ${where} (got ${typeof rowsValue})`);
  if (rowsValue.length === 0 && spec.allowEmpty === false)
    throw renderError("BAD_FIELD_VALUE", `${dataPathName("data", spec.rows)} is empty, but ${where} has allowEmpty: false`);

  const colStyles = spec.columns.map((c) => resolveStyle(defaults, { ...c, maxWidth: c.width }));
  const gap = spec.rowGap ?? 2;
  const cells: FittedText[][] = rowsValue.map((row, r) => {
    const prefix = dataPathName("data", `${spec.rows}.${r}`);
    const view = { ...(isRecord(row) ? row : {}), $row: r + 1 };
    return spec.columns.map((c, j) => {
      const cw = `${where}.columns[${j}] (row ${r + 1})`;
      const text = c.field === "$row" ? String(r + 1) : prepared(sourceText(c, view, prefix, cw, row, prep), colStyles[j], c, prep);
      return fitChecked(text, colStyles[j], metrics, cw, c);
    });
  });
  const heights = cells.map((row) => Math.max(spec.minRowHeight ?? 0, ...row.map((c) => c.height)) + gap);

  const afterStyles = (spec.after ?? []).map((a) => resolveStyle(defaults, a));
  const afterFitted = (spec.after ?? []).map((a, j) =>
    fitChecked(sourceText(a, data, "data", `${where}.after[${j}]`, data, prep), afterStyles[j], metrics, `${where}.after[${j}]`, a),
  );
  const afterHeight = afterFitted.reduce((m, f, j) => Math.max(m, spec.after![j].dy + f.height), 0);

  const flow = flowRows({
    top: spec.top,
    bottom: spec.bottom,
    continueTop: spec.continueTop ?? spec.top,
    rowHeights: heights,
    afterHeight,
    where,
  });
  const ops: TextOp[] = [];
  cells.forEach((row, r) => {
    const { page, y } = flow.rows[r];
    row.forEach((cell, j) => ops.push(...linesToOps(cell, colStyles[j], spec.columns[j].x, y, page, metrics)));
  });
  afterFitted.forEach((f, j) => {
    const a = spec.after![j];
    ops.push(...linesToOps(f, afterStyles[j], a.x, flow.after.y + a.dy, flow.after.page, metrics));
  });
  return { page: spec.page, continuePage: spec.continuePage ?? spec.page, continuationPages: flow.continuationPages, outputStart: 0, ops };
}

function resolveStyle(defaults: typeof layoutDefaults & TextStyle, s: TextStyle): ResolvedStyle {
  const merged = { ...defaults, ...stripUndefined(s) };
  return {
    font: merged.font,
    size: merged.size,
    color: merged.color,
    align: merged.align,
    maxWidth: merged.maxWidth,
    overflow: merged.overflow ?? (merged.maxWidth !== undefined ? "wrap" : "none"),
    maxLines: merged.maxLines,
    minSize: merged.minSize,
    lineHeight: merged.lineHeight,
    hyphenate: merged.hyphenate,
  };
}

/** The text of a field or cell: its data value or its rendered Mustache text; MISSING_FIELD when absent. */
function sourceText(src: TextSource, view: unknown, prefix: string, where: string, scope: unknown, ctx: Prep): string {
  const locale = src.locale ?? ctx.locale;
  const tz = src.tz ?? ctx.tz;
  if (src.text !== undefined) {
    const missing = (name: string) => {
      if (!src.optional) throw renderError("MISSING_FIELD", `${dataPathName(prefix, name)} is missing (${where} prints ${JSON.stringify(src.text)})`);
    };
    // pipes first: `{{total | currency: "EUR"}}` becomes the formatted text
    const piped = src.text.replace(PIPE, (_m, name: string, spec: string) => {
      const v = getPath(view, name);
      if (v === undefined || v === null) {
        missing(name);
        return "";
      }
      return formatted(v, spec, locale, `${dataPathName(prefix, name)} (${where})`, tz);
    });
    for (const name of mustacheNames(piped)) {
      if (name.startsWith("$") || name === ".") continue;
      if (getPath(view, name) === undefined || getPath(view, name) === null) missing(name);
    }
    return renderText(piped, view);
  }
  const path = src.field!;
  const raw = getPath(scope, path);
  if (src.format !== undefined && raw !== undefined && raw !== null) return formatted(raw, src.format, locale, `${dataPathName(prefix, path)} (${where})`, tz);
  const value = valueText(raw, dataPathName(prefix, path));
  if (value !== undefined) return value;
  if (src.default !== undefined) return src.default;
  if (src.optional) return "";
  throw renderError("MISSING_FIELD", `${dataPathName(prefix, path)} is missing (${where} needs it; add it to the data or mark the field "optional": true)`);
}

const formats = new Map<string, Format | string>();

/** A value through a format spec; BAD_FIELD_VALUE naming `what` when it does not suit (BAD_LAYOUT for a bad spec in a text pipe). */
function formatted(value: unknown, spec: string, locale: string | undefined, what: string, tz?: string): string {
  let f = formats.get(spec);
  if (f === undefined) formats.set(spec, (f = parseFormat(spec)));
  if (typeof f === "string") throw renderError("BAD_LAYOUT", `${what}: ${f}`);
  const r = formatValue(value, f, locale, tz);
  if ("error" in r) throw renderError("BAD_FIELD_VALUE", `${what}: ${r.error}`);
  return r.text;
}

function fitChecked(text: string, style: ResolvedStyle, metrics: MetricsSource, where: string, src: TextSource): FittedText {
  // tabs print as spaces and every line break as "\n": neither has a glyph to draw
  const clean = text.normalize("NFC").replace(/\r\n?/g, "\n").replace(/\t/g, " ");
  const m = metrics(style.font);
  const bad = m.missing(clean);
  if (bad.length) {
    const what = src.field ? `field "${src.field}"` : `text ${JSON.stringify(src.text)}`;
    const chars = bad.slice(0, 8).map((c) => `${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`);
    throw renderError(
      "UNKNOWN_GLYPH",
      `${where} (${what}): ${bad.length === 1 ? "character" : "characters"} ${chars.join(", ")}${bad.length > 8 ? ` and ${bad.length - 8} more` : ""} ` +
        `${bad.length === 1 ? "is" : "are"} not in the font${Array.isArray(style.font) && style.font.length > 1 ? "s" : ""} ${[style.font].flat().map((n) => JSON.stringify(n)).join(", ")} (${m.family}); ` +
        `store a font that has ${bad.length === 1 ? "it" : "them"} with the template (docctl template put ... --font NAME=FILE.ttf) and name it in the field's "font"`,
    );
  }
  return fitText(clean, style, m, where);
}

function linesToOps(f: FittedText, style: ResolvedStyle, x: number, top: number, page: number, metrics: MetricsSource): TextOp[] {
  const ascent = metrics(style.font).ascent * f.size;
  return f.lines.flatMap((_, i) => {
    const op = lineOp(f, i, style, x, top + ascent + i * f.size * style.lineHeight, page);
    return op ? [op] : [];
  });
}

/** Line `i` of fitted text as an op at `baseline`; justified lines (all but a paragraph's last) stretch their spaces to the box. */
function lineOp(f: FittedText, i: number, style: ResolvedStyle, x: number, baseline: number, page: number): TextOp | null {
  const text = f.lines[i];
  if (text === "") return null;
  const rtl = (style.align === "start" || style.align === "end" || style.align === "justify") && isRtl(text);
  const op: TextOp = { page, x: alignX(x, f.widths[i], style.align, style.maxWidth, rtl), baseline, text, font: style.font, size: f.size, color: hexColor(style.color) };
  if (style.align === "justify" && style.maxWidth !== undefined && f.last && !f.last[i]) {
    const spaces = text.split(" ").length - 1;
    if (spaces > 0 && f.widths[i] < style.maxWidth) {
      op.x = x;
      op.wordSpacing = (style.maxWidth - f.widths[i]) / spaces;
    }
  }
  return op;
}

function rotation(angle: 0 | 90 | 180 | 270, x: number, y: number, w: number, h: number): Rotation {
  return { angle: angle as 90 | 180 | 270, x, y, w, h };
}

/** "#rgb" / "#rrggbb" to 0..1 components. */
export function hexColor(hex: string): [number, number, number] {
  let h = hex.slice(1);
  if (h.length === 3) h = h.split("").map((c) => c + c).join("");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as [number, number, number];
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
