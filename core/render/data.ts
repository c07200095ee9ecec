// Reading data values for fields: dot paths, Mustache texts, and turning values into printable text. Pure.
import Mustache from "mustache";
import { renderError } from "./errors.ts";

/** The value at a dot path ("customer.address.city", "items.0.sku"), or undefined. */
export function getPath(data: unknown, path: string): unknown {
  if (path === "." || path === "") return data;
  let cur: unknown = data;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A value as text, or undefined when missing; objects/arrays are BAD_FIELD_VALUE. */
export function valueText(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  throw renderError(
    "BAD_FIELD_VALUE",
    `${where} is ${Array.isArray(value) ? "an array" : "an object"}, but the layout prints it as text; point the layout at one of its members`,
  );
}

/**
 * Names a Mustache template's plain placeholders ({{a.b}}, {{{c}}}, {{&d}}) use outside sections: the
 * values it cannot do without. Sections ({{#note}}...{{/note}}) are conditionals in Mustache, so
 * neither their names nor what they contain (looked up per row) count.
 */
export function mustacheNames(template: string): string[] {
  const names: string[] = [];
  for (const [type, value] of Mustache.parse(template) as unknown as [string, string][])
    if (type === "name" || type === "&" || type === "{") names.push(value);
  return names;
}

/** Renders a Mustache text without HTML escaping (it is printed on a PDF, not into HTML). */
export function renderText(template: string, view: unknown): string {
  return Mustache.render(template, view, {}, { escape: (s: string) => s });
}

/** The data path a missing-field message should name: `data.customer.name`, `data.items[3].price`. */
export function dataPathName(prefix: string, path: string): string {
  return `${prefix}.${path}`.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
}
