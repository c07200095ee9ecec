// Layout validation: every problem of a layout against its base, as `path: message` lines. Pure, no I/O.
// The shape of each part (keys, types, enums, required, bounds) is its schema in types.ts, checked by
// shape.ts; the rules a schema cannot say are the code here and in fields.ts and tables.ts: pages
// against the base PDF, omitted pages, fonts, locales and the rules across keys.
import { renderError } from "../errors.ts";
import { checkLocale } from "../format.ts";
import type { BaseInfo, Layout } from "./types.ts";
import { isObject, typeName } from "./check.ts";
import { checkShape } from "./shape.ts";
import { layoutCheck } from "./context.ts";
import { checkField, checkStyle } from "./fields.ts";
import { checkTable } from "./tables.ts";

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
  const c = layoutCheck(base, add, typeof raw.locale === "string" ? raw.locale : undefined);
  checkShape("root", raw, "", add);
  checkTop(raw, c.fontNames, add, c.locale);
  const items = (v: unknown) => (Array.isArray(v) ? v : []);
  items(raw.omitPages).forEach((n, i) => {
    c.page(n, `omitPages[${i}]`);
    if (Number.isInteger(n)) c.omitted.add(n as number);
  });
  if (base.pageCount > 0 && c.omitted.size >= base.pageCount)
    add("omitPages", `leaves no page to print (the base PDF has ${base.pageCount} page${base.pageCount === 1 ? "" : "s"})`);
  items(raw.fields).forEach((f, i) => checkField(f, i, c));
  items(raw.tables).forEach((t, i) => checkTable(t, i, c));
  checkForm(raw.form, add, c.fontNames);
  return out;
}

/** The root's locale and the defaults' fonts and hyphenation (their shape is the schema's). */
function checkTop(raw: Record<string, unknown>, fontNames: string[], add: (path: string, msg: string) => void, locale?: string) {
  if (typeof raw.locale === "string") {
    const bad = checkLocale(raw.locale);
    if (bad) add("locale", bad);
  }
  if (isObject(raw.defaults)) checkStyle(raw.defaults, "defaults", add, fontNames, locale);
}

/** The form's fonts (its shape is the schema's). */
function checkForm(form: unknown, add: (path: string, msg: string) => void, fontNames: string[]) {
  if (isObject(form) && form.font !== undefined) checkStyle({ font: form.font }, "form", add, fontNames);
}
