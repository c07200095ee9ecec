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

/** Names used by a Mustache template's plain placeholders ({{a.b}}, {{{c}}}, {{&d}}), outside sections. */
export function mustacheNames(template: string): string[] {
  const names: string[] = [];
  const walk = (tokens: unknown[], inSection: boolean) => {
    for (const t of tokens as [string, string, number, number, unknown[]?][]) {
      const [type, value] = t;
      if ((type === "name" || type === "&" || type === "{") && !inSection) names.push(value);
      if ((type === "#" || type === "^") && Array.isArray(t[4])) {
        if (!inSection) names.push(value);
        walk(t[4], true);
      }
    }
  };
  walk(Mustache.parse(template), false);
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
