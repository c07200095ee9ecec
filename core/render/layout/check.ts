// The small checks every part of layout validation uses: keys, numbers, booleans, arrays, colours.
// Each reports through `add(path, message)`; none throws, so validation lists every problem at once.

/** Reports one problem at a path of the layout ("fields[3].x"). */
export type Add = (path: string, msg: string) => void;

/** The keys each kind of object in a layout may have; anything else is reported, so a typo never silently does nothing. */
export const STYLE_KEYS = ["font", "size", "color", "align", "maxWidth", "overflow", "maxLines", "minSize", "lineHeight", "hyphenate"];
export const SOURCE_KEYS = ["field", "text", "optional", "default", "format", "locale", "tz"];
export const PLACE_KEYS = ["kind", "page", "x", "y", "repeat", "rotate", "comment"];
export const KEYS = {
  root: ["version", "locale", "defaults", "fields", "tables", "omitPages", "form", "$schema", "comment"],
  field: [...STYLE_KEYS, ...SOURCE_KEYS, ...PLACE_KEYS, "flow", "bottom", "continuePage", "continueTop", "orphans", "widows"],
  image: [...PLACE_KEYS, "field", "optional", "asset", "width", "height", "fit"],
  qr: [...PLACE_KEYS, "field", "text", "optional", "default", "tz", "qrSize", "ecLevel", "color"],
  barcode: [...PLACE_KEYS, "field", "text", "optional", "default", "tz", "type", "width", "height", "showText", "color", "size", "font"],
  line: [...PLACE_KEYS.filter((k) => k !== "rotate"), "x2", "y2", "lineWidth", "stroke"],
  rect: [...PLACE_KEYS, "width", "height", "lineWidth", "stroke", "fill", "radius"],
  ellipse: [...PLACE_KEYS, "width", "height", "lineWidth", "stroke", "fill"],
  column: [...STYLE_KEYS, ...SOURCE_KEYS, "x", "width", "comment"],
  after: [...STYLE_KEYS, ...SOURCE_KEYS, "x", "dy", "comment"],
  table: ["rows", "page", "top", "bottom", "continuePage", "continueTop", "rowGap", "minRowHeight", "allowEmpty", "columns", "after", "comment"],
  form: ["fields", "required", "font", "comment"],
};

export function num(o: Record<string, unknown>, key: string, p: string, add: Add, required = false, min?: number) {
  const v = o[key];
  if (v === undefined) {
    if (required) add(`${p}.${key}`.replace(/^\./, ""), `is required (a number of points)`);
    return;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) return add(`${p}.${key}`.replace(/^\./, ""), `must be a number (got ${JSON.stringify(v)})`);
  if (min !== undefined && v < min) add(`${p}.${key}`.replace(/^\./, ""), `must be at least ${min} (got ${v})`);
}

export function bool(o: Record<string, unknown>, key: string, p: string, add: Add) {
  if (o[key] !== undefined && typeof o[key] !== "boolean") add(`${p}.${key}`, `must be true or false (got ${JSON.stringify(o[key])})`);
}

export function arrayAt(o: Record<string, unknown>, key: string, add: Add, p = ""): unknown[] {
  const v = o[key];
  const path = p ? `${p}.${key}` : key;
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    add(path, `must be an array (got ${typeName(v)})`);
    return [];
  }
  return v;
}

export function unknownKeys(o: Record<string, unknown>, known: string[], p: string, add: Add) {
  for (const k of Object.keys(o))
    if (!known.includes(k)) add(p ? `${p}.${k}` : k, `unknown key (known here: ${known.filter((x) => x !== "comment" && x !== "$schema").join(", ")})`);
}

/** A `#rrggbb`/`#rgb` colour at `o[key]` (or "none" where allowed). */
export function colour(o: Record<string, unknown>, key: string, p: string, add: Add, none = false) {
  const v = o[key];
  if (v === undefined || (none && v === "none")) return;
  if (typeof v !== "string" || !/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(v)) add(`${p}.${key}`, `must be "#rrggbb" or "#rgb"${none ? ' or "none"' : ""} (got ${JSON.stringify(v)})`);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}
