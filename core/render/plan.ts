// The render plan: from layout + data + page sizes to "draw this text here" operations. Pure: no PDF, no I/O.
import { renderError } from "./errors.ts";
import { dataPathName, getPath, mustacheNames, renderText, valueText } from "./data.ts";
import { type BaseInfo, type Layout, type TableSpec, type TextSource, type TextStyle, layoutDefaults } from "./layout.ts";
import { alignX, fitText, type FittedText, type MetricsSource, type ResolvedStyle } from "./text.ts";
import { flowRows } from "./table.ts";
import type { FontName } from "./layout.ts";

/** One line of text to draw. `baseline` is measured in points from the top of the page. */
export interface DrawOp {
  /** 0-based index into `RenderPlan.pages` */
  page: number;
  x: number;
  baseline: number;
  text: string;
  font: FontName;
  size: number;
  /** r, g, b in 0..1 */
  color: [number, number, number];
}

export interface RenderPlan {
  /** the output document: for each page, the 0-based base page it is a copy of */
  pages: number[];
  ops: DrawOp[];
}

/** Works out every page and every line of text for `data` on a base with `base.pageSizes`. */
export function planLayout(layout: Layout, data: unknown, base: Required<BaseInfo>, metrics: MetricsSource): RenderPlan {
  const defaults = { ...layoutDefaults, ...(layout.defaults ?? {}) };
  const ops: DrawOp[] = [];

  // Tables first: they decide how many continuation pages follow their page.
  const tables = (layout.tables ?? []).map((t, i) => planTable(t, i, data, defaults, metrics));
  const pages: number[] = [];
  const firstOutputIndex: number[] = [];
  const omitted = new Set((layout.omitPages ?? []).map((n) => n - 1));
  for (let b = 0; b < base.pageCount; b++) {
    if (omitted.has(b)) continue;
    firstOutputIndex[b] = pages.length;
    pages.push(b);
    const t = tables.find((t) => t.spec.page - 1 === b);
    if (t) {
      t.outputStart = pages.length - 1;
      for (let k = 0; k < t.continuationPages; k++) pages.push((t.spec.continuePage ?? t.spec.page) - 1);
    }
  }
  for (const t of tables) for (const op of t.ops) ops.push({ ...op, page: t.outputStart + op.page });

  (layout.fields ?? []).forEach((f, i) => {
    const where = `fields[${i}]`;
    const targets = f.repeat ? pages.flatMap((b, o) => (b === f.page - 1 ? [o] : [])) : [firstOutputIndex[f.page - 1]].filter((o) => o !== undefined);
    const style = resolveStyle(defaults, f);
    for (const o of targets) {
      const view = { ...(isRecord(data) ? data : {}), $page: o + 1, $pages: pages.length };
      const text = sourceText(f, view, "data", where, data);
      const fitted = fitChecked(text, style, metrics, where, f);
      ops.push(...linesToOps(fitted, style, f.x, f.y, o, metrics));
    }
  });
  return { pages, ops };
}

interface PlannedTable {
  spec: TableSpec;
  continuationPages: number;
  outputStart: number;
  /** ops with `page` relative to the table's first page */
  ops: DrawOp[];
}

function planTable(spec: TableSpec, index: number, data: unknown, defaults: typeof layoutDefaults, metrics: MetricsSource): PlannedTable {
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
  const cells: FittedText[][] = rowsValue.map((row, r) =>
    spec.columns.map((c, j) => {
      const cw = `${where}.columns[${j}] (row ${r + 1})`;
      const view = { ...(isRecord(row) ? row : {}), $row: r + 1 };
      const text = c.field === "$row" ? String(r + 1) : sourceText(c, view, dataPathName("data", `${spec.rows}.${r}`), cw, row);
      return fitChecked(text, colStyles[j], metrics, cw, c);
    }),
  );
  const heights = cells.map((row) => Math.max(spec.minRowHeight ?? 0, ...row.map((c) => c.height)) + gap);

  const afterStyles = (spec.after ?? []).map((a) => resolveStyle(defaults, a));
  const afterFitted = (spec.after ?? []).map((a, j) =>
    fitChecked(sourceText(a, data, "data", `${where}.after[${j}]`, data), afterStyles[j], metrics, `${where}.after[${j}]`, a),
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
  const ops: DrawOp[] = [];
  cells.forEach((row, r) => {
    const { page, y } = flow.rows[r];
    row.forEach((cell, j) => ops.push(...linesToOps(cell, colStyles[j], spec.columns[j].x, y, page, metrics)));
  });
  afterFitted.forEach((f, j) => {
    const a = spec.after![j];
    ops.push(...linesToOps(f, afterStyles[j], a.x, flow.after.y + a.dy, flow.after.page, metrics));
  });
  return { spec, continuationPages: flow.continuationPages, outputStart: 0, ops };
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
  };
}

/** The text of a field or cell: its data value or its rendered Mustache text; MISSING_FIELD when absent. */
function sourceText(src: TextSource, view: unknown, prefix: string, where: string, scope: unknown): string {
  if (src.text !== undefined) {
    if (!src.optional)
      for (const name of mustacheNames(src.text)) {
        if (name.startsWith("$") || name === ".") continue;
        if (getPath(view, name) === undefined || getPath(view, name) === null)
          throw renderError("MISSING_FIELD", `${dataPathName(prefix, name)} is missing (${where} prints ${JSON.stringify(src.text)})`);
      }
    return renderText(src.text, view);
  }
  const path = src.field!;
  const value = valueText(getPath(scope, path), dataPathName(prefix, path));
  if (value !== undefined) return value;
  if (src.default !== undefined) return src.default;
  if (src.optional) return "";
  throw renderError("MISSING_FIELD", `${dataPathName(prefix, path)} is missing (${where} needs it; add it to the data or mark the field "optional": true)`);
}

function fitChecked(text: string, style: ResolvedStyle, metrics: MetricsSource, where: string, src: TextSource): FittedText {
  // tabs print as spaces and every line break as "\n": neither has a glyph to draw
  const clean = text.normalize("NFC").replace(/\r\n?/g, "\n").replace(/\t/g, " ");
  const m = metrics(style.font);
  const bad = m.missingGlyph(clean.replace(/\n/g, ""));
  if (bad !== undefined) {
    const cp = bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    const what = src.field ? `field "${src.field}"` : `text ${JSON.stringify(src.text)}`;
    throw renderError(
      "UNKNOWN_GLYPH",
      `${where} (${what}): character ${JSON.stringify(bad)} (U+${cp}) is not in the font "${style.font}" (${m.family}); ` +
        `the built-in fonts cover Latin, Greek and Cyrillic scripts`,
    );
  }
  return fitText(clean, style, m, where);
}

function linesToOps(f: FittedText, style: ResolvedStyle, x: number, top: number, page: number, metrics: MetricsSource): DrawOp[] {
  const ascent = metrics(style.font).ascent * f.size;
  const color = hexColor(style.color);
  return f.lines.map((line, i) => ({
    page,
    x: alignX(x, f.widths[i], style.align, style.maxWidth),
    baseline: top + ascent + i * f.size * style.lineHeight,
    text: line,
    font: style.font,
    size: f.size,
    color,
  })).filter((op) => op.text !== "");
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
