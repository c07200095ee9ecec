// Layout validation: every problem of a layout against its base, as `path: message` lines. Pure, no I/O.
import { renderError } from "../errors.ts";
import { checkLocale } from "../format.ts";
import type { BaseInfo, Layout } from "./types.ts";
import { KEYS, STYLE_KEYS, arrayAt, bool, isObject, typeName, unknownKeys } from "./check.ts";
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
  checkTop(raw, c.fontNames, add, c.locale);
  arrayAt(raw, "omitPages", add).forEach((n, i) => {
    c.page(n, `omitPages[${i}]`);
    if (Number.isInteger(n)) c.omitted.add(n as number);
  });
  if (base.pageCount > 0 && c.omitted.size >= base.pageCount)
    add("omitPages", `leaves no page to print (the base PDF has ${base.pageCount} page${base.pageCount === 1 ? "" : "s"})`);
  arrayAt(raw, "fields", add).forEach((f, i) => checkField(f, i, c));
  arrayAt(raw, "tables", add).forEach((t, i) => checkTable(t, i, c));
  checkForm(raw.form, add, c.fontNames);
  return out;
}

/** The root's keys, locale, version and defaults. */
function checkTop(raw: Record<string, unknown>, fontNames: string[], add: (path: string, msg: string) => void, locale?: string) {
  unknownKeys(raw, KEYS.root, "", add);
  if (raw.locale !== undefined) {
    const bad = typeof raw.locale === "string" ? checkLocale(raw.locale) : "must be a locale string";
    if (bad) add("locale", bad);
  }
  if (raw.version !== undefined && raw.version !== 1) add("version", `unsupported version ${JSON.stringify(raw.version)} (this docctl reads version 1)`);
  if (raw.defaults !== undefined) {
    if (!isObject(raw.defaults)) add("defaults", `must be an object (got ${typeName(raw.defaults)})`);
    else {
      unknownKeys(raw.defaults, STYLE_KEYS, "defaults", add);
      checkStyle(raw.defaults, "defaults", add, fontNames, locale);
    }
  }
}

function checkForm(form: unknown, add: (path: string, msg: string) => void, fontNames: string[]) {
  if (form === undefined) return;
  if (!isObject(form)) return add("form", `must be an object (got ${typeName(form)})`);
  unknownKeys(form, KEYS.form, "form", add);
  bool(form, "required", "form", add);
  if (form.font !== undefined) checkStyle({ font: form.font }, "form", add, fontNames);
  if (form.fields !== undefined) {
    if (!isObject(form.fields)) add("form.fields", `must map form field names to data paths`);
    else
      for (const [k, v] of Object.entries(form.fields))
        if (typeof v !== "string" || !v) add(`form.fields.${k}`, `must be a data path string (got ${JSON.stringify(v)})`);
  }
}
