// Checks of a table: its rows path, pages, the band rows flow in, its columns and the fields after it.
import { KEYS, arrayAt, bool, isObject, num, round, typeName, unknownKeys } from "./check.ts";
import type { LayoutCheck } from "./context.ts";
import { checkSource, checkStyle } from "./fields.ts";

/** Checks `tables[i]` (one table or flowing field per page). */
export function checkTable(t: unknown, i: number, c: LayoutCheck) {
  const { add } = c;
  const p = `tables[${i}]`;
  if (!isObject(t)) return add(p, `must be an object (got ${typeName(t)})`);
  unknownKeys(t, KEYS.table, p, add);
  if (typeof t.rows !== "string" || !t.rows) add(`${p}.rows`, `must be the data path of the rows array, e.g. "items" (got ${JSON.stringify(t.rows)})`);
  c.page(t.page, `${p}.page`);
  if (t.continuePage !== undefined) c.page(t.continuePage, `${p}.continuePage`);
  if (Number.isInteger(t.page)) {
    const other = c.flowPages.get(t.page as number);
    if (other !== undefined) add(`${p}.page`, `${other} already ${other.startsWith("tables") ? "starts on" : "flows from"} page ${t.page}; one table${other.startsWith("tables") ? "" : " or flowing field"} per page`);
    else c.flowPages.set(t.page as number, p);
  }
  num(t, "top", p, add, true);
  num(t, "bottom", p, add, true);
  c.onPage(t.page, undefined, t.top, `${p}.top`, true);
  if (c.omitted.has(t.page as number)) add(`${p}.page`, `page ${t.page} is in omitPages; a table must start on a printed page`);
  num(t, "continueTop", p, add);
  num(t, "rowGap", p, add, false, 0);
  num(t, "minRowHeight", p, add, false, 0);
  bool(t, "allowEmpty", p, add);
  if (typeof t.top === "number" && typeof t.bottom === "number" && t.bottom <= t.top)
    add(`${p}.bottom`, `must be below top (y grows downwards from the top of the page): top ${t.top}, bottom ${t.bottom}`);
  if (typeof t.continueTop === "number" && typeof t.bottom === "number" && t.bottom <= t.continueTop)
    add(`${p}.continueTop`, `must be above bottom ${t.bottom} (got ${t.continueTop})`);
  const sizes = c.base.pageSizes;
  if (sizes && Number.isInteger(t.page) && sizes[(t.page as number) - 1] && typeof t.bottom === "number") {
    const h = sizes[(t.page as number) - 1][1];
    if (t.bottom > h) add(`${p}.bottom`, `${t.bottom} is below the page's bottom edge (page ${t.page} is ${round(h)}pt tall)`);
  }
  if (!Array.isArray(t.columns) || t.columns.length === 0) add(`${p}.columns`, `must be a non-empty array of columns`);
  else
    t.columns.forEach((col, j) => {
      const cp = `${p}.columns[${j}]`;
      if (!isObject(col)) return add(cp, `must be an object (got ${typeName(col)})`);
      unknownKeys(col, KEYS.column, cp, add);
      num(col, "x", cp, add, true);
      num(col, "width", cp, add, true, 1);
      if (col.maxWidth !== undefined) add(`${cp}.maxWidth`, `columns use "width" as their text box; remove maxWidth`);
      checkSource(col, cp, add);
      checkStyle(col, cp, add, c.fontNames, c.locale);
    });
  arrayAt(t, "after", add, p).forEach((a, j) => {
    const ap = `${p}.after[${j}]`;
    if (!isObject(a)) return add(ap, `must be an object (got ${typeName(a)})`);
    unknownKeys(a, KEYS.after, ap, add);
    num(a, "x", ap, add, true);
    num(a, "dy", ap, add, true);
    checkSource(a, ap, add);
    checkStyle(a, ap, add, c.fontNames, c.locale);
  });
}
