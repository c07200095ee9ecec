// Checks of a table beyond its shape (shape.ts): pages against the base, the band rows flow in, and its
// columns and the fields after it.
import { isObject, round } from "./check.ts";
import { checkShape } from "./shape.ts";
import type { LayoutCheck } from "./context.ts";
import { checkSource, checkStyle } from "./fields.ts";

/** Checks `tables[i]` (one table or flowing field per page). */
export function checkTable(t: unknown, i: number, c: LayoutCheck) {
  const { add } = c;
  const p = `tables[${i}]`;
  checkShape("table", t, p, add);
  if (!isObject(t)) return;
  c.page(t.page, `${p}.page`);
  if (t.continuePage !== undefined) c.page(t.continuePage, `${p}.continuePage`);
  if (Number.isInteger(t.page)) {
    const other = c.flowPages.get(t.page as number);
    if (other !== undefined) add(`${p}.page`, `${other} already ${other.startsWith("tables") ? "starts on" : "flows from"} page ${t.page}; one table${other.startsWith("tables") ? "" : " or flowing field"} per page`);
    else c.flowPages.set(t.page as number, p);
  }
  c.onPage(t.page, undefined, t.top, `${p}.top`, true);
  if (c.omitted.has(t.page as number)) add(`${p}.page`, `page ${t.page} is in omitPages; a table must start on a printed page`);
  if (typeof t.top === "number" && typeof t.bottom === "number" && t.bottom <= t.top)
    add(`${p}.bottom`, `must be below top (y grows downwards from the top of the page): top ${t.top}, bottom ${t.bottom}`);
  if (typeof t.continueTop === "number" && typeof t.bottom === "number" && t.bottom <= t.continueTop)
    add(`${p}.continueTop`, `must be above bottom ${t.bottom} (got ${t.continueTop})`);
  const sizes = c.base.pageSizes;
  if (sizes && Number.isInteger(t.page) && sizes[(t.page as number) - 1] && typeof t.bottom === "number") {
    const h = sizes[(t.page as number) - 1][1];
    if (t.bottom > h) add(`${p}.bottom`, `${t.bottom} is below the page's bottom edge (page ${t.page} is ${round(h)}pt tall)`);
  }
  (Array.isArray(t.columns) ? t.columns : []).forEach((col, j) => {
    const cp = `${p}.columns[${j}]`;
    checkShape("column", col, cp, add);
    if (!isObject(col)) return;
    if (col.maxWidth !== undefined) add(`${cp}.maxWidth`, `columns use "width" as their text box; remove maxWidth`);
    checkSource(col, cp, add);
    checkStyle(col, cp, add, c.fontNames, c.locale);
  });
  (Array.isArray(t.after) ? t.after : []).forEach((a, j) => {
    const ap = `${p}.after[${j}]`;
    checkShape("after", a, ap, add);
    if (!isObject(a)) return;
    checkSource(a, ap, add);
    checkStyle(a, ap, add, c.fontNames, c.locale);
  });
}
