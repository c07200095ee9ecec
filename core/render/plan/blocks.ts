// Blocks that make continuation pages: tables whose rows flow over pages, and flowing text fields. Each is
// planned relative to its first page; planLayout places it once the page list is known. Pure.
import { renderError } from "../errors.ts";
import { dataPathName, getPath } from "../data.ts";
import type { FieldSpec, layoutDefaults, TableSpec, TextStyle } from "../layout.ts";
import type { FittedText, MetricsSource } from "../text.ts";
import { flowRows } from "../table.ts";
import { flowLines } from "../flow.ts";
import type { TextOp } from "./ops.ts";
import { fitChecked, lineOp, linesToOps, prepared, resolveStyle, sourceText, type Prep } from "./field-text.ts";

/** A table or a flowing field: what it prints, and how many continuation pages it makes. */
export interface PlannedBlock {
  /** 1-based base page it starts on, and the one its continuation pages copy */
  page: number;
  continuePage: number;
  continuationPages: number;
  outputStart: number;
  /** ops with `page` relative to the block's first page */
  ops: TextOp[];
}

/** A flowing text field: its lines over its page and as many continuation pages as they need. */
export function planFlow(f: FieldSpec, index: number, data: unknown, defaults: typeof layoutDefaults & TextStyle, metrics: MetricsSource, prep: Prep): PlannedBlock {
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

/** A table: its rows over its page and continuation pages, then its after-fields. */
export function planTable(spec: TableSpec, index: number, data: unknown, defaults: typeof layoutDefaults, metrics: MetricsSource, prep: Prep): PlannedBlock {
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
/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
