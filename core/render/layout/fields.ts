// Checks of placed fields: text style, where the text comes from, and the graphic kinds (image, qr, barcode, line, rect).
import Mustache from "mustache";
import { PIPE, checkLocale, checkTimeZone, parseFormat } from "../format.ts";
import { HYPHENATION_LANGUAGES, hyphenationLanguage } from "../hyphenate.ts";
import { BARCODE_TYPES, BUILTIN_FONTS, FIELD_KINDS, type FieldKind } from "./types.ts";
import { type Add, KEYS, bool, colour, isObject, num, typeName, unknownKeys } from "./check.ts";
import type { LayoutCheck } from "./context.ts";

/** Checks `fields[i]`. */
export function checkField(f: unknown, i: number, c: LayoutCheck) {
  const { add } = c;
  const p = `fields[${i}]`;
  if (!isObject(f)) return add(p, `must be an object (got ${typeName(f)})`);
  const kind = (f.kind ?? "text") as FieldKind;
  if (!FIELD_KINDS.includes(kind)) return add(`${p}.kind`, `unknown kind ${JSON.stringify(f.kind)} (known: ${FIELD_KINDS.join(", ")})`);
  unknownKeys(f, kind === "text" ? KEYS.field : KEYS[kind], p, add);
  c.page(f.page, `${p}.page`);
  num(f, "x", p, add, true);
  num(f, "y", p, add, true);
  c.onPage(f.page, f.x, f.y, p);
  if (c.omitted.has(f.page as number) && f.repeat !== true)
    add(`${p}.page`, `page ${f.page} is in omitPages, so it is only printed as continuation pages: add "repeat": true to print this field there`);
  bool(f, "repeat", p, add);
  if (f.rotate !== undefined && ![0, 90, 180, 270].includes(f.rotate as number)) add(`${p}.rotate`, `must be 0, 90, 180 or 270 (degrees clockwise; got ${JSON.stringify(f.rotate)})`);
  if (f.rotate !== undefined && f.flow === true) add(`${p}.rotate`, `a flowing field cannot be turned; remove "rotate"`);
  if (kind === "text") {
    checkSource(f, p, add);
    checkStyle(f, p, add, c.fontNames, c.locale);
    checkFlow(f, p, c);
  } else checkGraphic(kind, f, p, add, c.base.assets ?? [], c.fontNames);
}

function checkGraphic(kind: Exclude<FieldKind, "text">, f: Record<string, unknown>, p: string, add: Add, assets: string[], fontNames: string[]) {
  switch (kind) {
    case "image":
      num(f, "width", p, add, true, 1);
      num(f, "height", p, add, true, 1);
      if ((f.field === undefined) === (f.asset === undefined)) add(p, `an image needs exactly one of "field" (a data URL or base64 PNG/JPEG in the data) or "asset" (an image stored with the template)`);
      if (f.field !== undefined && (typeof f.field !== "string" || !f.field)) add(`${p}.field`, `must be a data path string (got ${JSON.stringify(f.field)})`);
      if (f.asset !== undefined && !assets.includes(f.asset as string))
        add(`${p}.asset`, `the template has no asset ${JSON.stringify(f.asset)} (it has: ${assets.map((a) => JSON.stringify(a)).join(", ") || "none"}; add one with --asset NAME=FILE)`);
      if (f.fit !== undefined && !["contain", "cover", "fill"].includes(f.fit as string)) add(`${p}.fit`, `must be "contain", "cover" or "fill" (got ${JSON.stringify(f.fit)})`);
      bool(f, "optional", p, add);
      break;
    case "qr":
      checkSource(f, p, add);
      num(f, "qrSize", p, add, true, 8);
      if (f.ecLevel !== undefined && !["L", "M", "Q", "H"].includes(f.ecLevel as string)) add(`${p}.ecLevel`, `must be "L", "M", "Q" or "H" (got ${JSON.stringify(f.ecLevel)})`);
      colour(f, "color", p, add);
      break;
    case "barcode":
      checkSource(f, p, add);
      num(f, "width", p, add, true, 4);
      num(f, "height", p, add, true, 4);
      if (!BARCODE_TYPES.includes(f.type as (typeof BARCODE_TYPES)[number])) add(`${p}.type`, `must be one of ${BARCODE_TYPES.join(", ")} (got ${JSON.stringify(f.type)})`);
      bool(f, "showText", p, add);
      num(f, "size", p, add, false, 0.5);
      if (f.font !== undefined && !fontNames.includes(f.font as string)) add(`${p}.font`, `unknown font ${JSON.stringify(f.font)} (fonts: ${fontNames.join(", ")})`);
      colour(f, "color", p, add);
      break;
    case "line":
      num(f, "x2", p, add, true);
      num(f, "y2", p, add, true);
      num(f, "lineWidth", p, add, false, 0);
      colour(f, "stroke", p, add);
      break;
    case "rect":
    case "ellipse":
      if (kind === "rect") num(f, "radius", p, add, false, 0);
      num(f, "width", p, add, true, 0);
      num(f, "height", p, add, true, 0);
      num(f, "lineWidth", p, add, false, 0);
      colour(f, "stroke", p, add, true);
      colour(f, "fill", p, add, true);
      break;
  }
}

const FLOW_KEYS = ["bottom", "continuePage", "continueTop", "orphans", "widows"];

/** A flowing text field: its frame on the first and the continuation pages, widows and orphans. */
function checkFlow(f: Record<string, unknown>, p: string, c: LayoutCheck) {
  const { add } = c;
  bool(f, "flow", p, add);
  if (f.flow !== true) {
    for (const k of FLOW_KEYS) if (f[k] !== undefined) add(`${p}.${k}`, `only applies to a flowing field; add "flow": true`);
    return;
  }
  if (f.maxWidth === undefined) add(`${p}.maxWidth`, `is required with "flow": true (the width of the text column)`);
  if (f.overflow !== undefined && f.overflow !== "wrap") add(`${p}.overflow`, `a flowing field wraps; remove "overflow" (got ${JSON.stringify(f.overflow)})`);
  if (f.maxLines !== undefined) add(`${p}.maxLines`, `a flowing field takes as many lines and pages as its text needs; remove maxLines`);
  if (f.repeat === true) add(`${p}.repeat`, `a flowing field prints once, continuing on continuation pages; remove "repeat"`);
  num(f, "bottom", p, add, true);
  if (f.continuePage !== undefined) c.page(f.continuePage, `${p}.continuePage`);
  num(f, "continueTop", p, add);
  for (const k of ["orphans", "widows"])
    if (f[k] !== undefined && (!Number.isInteger(f[k]) || (f[k] as number) < 1)) add(`${p}.${k}`, `must be a whole number from 1 (got ${JSON.stringify(f[k])})`);
  if (typeof f.bottom === "number" && typeof f.y === "number" && f.bottom <= f.y) add(`${p}.bottom`, `must be below y (y grows downwards from the top of the page): y ${f.y}, bottom ${f.bottom}`);
  if (typeof f.bottom === "number" && typeof f.continueTop === "number" && f.bottom <= f.continueTop) add(`${p}.continueTop`, `must be above bottom ${f.bottom} (got ${f.continueTop})`);
  c.onPage(f.page, undefined, f.bottom, `${p}.bottom`, true);
  if (Number.isInteger(f.page)) {
    const other = c.flowPages.get(f.page as number);
    if (other !== undefined) add(`${p}.page`, `${other} already flows from page ${f.page}; one table or flowing field per page`);
    else c.flowPages.set(f.page as number, p);
  }
}

/** Checks a text source: exactly one of field/text, and its optional/default/format/locale. */
export function checkSource(o: Record<string, unknown>, p: string, add: Add) {
  const hasField = o.field !== undefined;
  const hasText = o.text !== undefined;
  if (hasField === hasText) add(p, `needs exactly one of "field" (a data path) or "text" (a Mustache text)`);
  if (hasField && (typeof o.field !== "string" || !o.field)) add(`${p}.field`, `must be a data path string (got ${JSON.stringify(o.field)})`);
  if (hasText && typeof o.text !== "string") add(`${p}.text`, `must be a string (got ${typeName(o.text)})`);
  if (hasText && typeof o.text === "string") checkMustache(o.text, `${p}.text`, add);
  if (o.tz !== undefined) {
    const bad = typeof o.tz === "string" ? checkTimeZone(o.tz) : "must be a time zone name";
    if (bad) add(`${p}.tz`, bad);
  }
  bool(o, "optional", p, add);
  if (o.default !== undefined && typeof o.default !== "string") add(`${p}.default`, `must be a string (got ${typeName(o.default)})`);
  if (o.format !== undefined) {
    const f = typeof o.format === "string" ? parseFormat(o.format) : "must be a string like \"currency:EUR\"";
    if (typeof f === "string") add(`${p}.format`, f);
  }
  if (o.locale !== undefined) {
    const bad = typeof o.locale === "string" ? checkLocale(o.locale) : "must be a locale string";
    if (bad) add(`${p}.locale`, bad);
  }
}

/** A Mustache text: its syntax (an unclosed tag or section) and every pipe's format, so a mistake fails at `template put`, not at every job. */
function checkMustache(text: string, p: string, add: Add) {
  for (const m of text.matchAll(PIPE)) {
    const f = parseFormat(m[2]);
    if (typeof f === "string") add(p, `the pipe in ${JSON.stringify(m[0])}: ${f}`);
  }
  let tokens: unknown[];
  try {
    tokens = Mustache.parse(text.replace(PIPE, "{{$pipe}}"));
  } catch (err) {
    return add(p, `${JSON.stringify(text)} is not a valid Mustache text: ${(err as Error).message} (close every {{ with }} and every {{#section}} with {{/section}})`);
  }
  const names = (list: unknown[]): string[] =>
    list.flatMap((t) => {
      const [type, value, , , children] = t as [string, string, number, number, unknown[]?];
      return [...(type === "name" || type === "&" || type === "#" || type === "^" ? [value] : []), ...(Array.isArray(children) ? names(children) : [])];
    });
  for (const name of names(tokens))
    if (name.includes("|")) add(p, `{{${name}}}: a pipe needs a format after "|" (e.g. {{total | currency: "EUR"}})`);
}

/** Checks a text style's keys; `locale` is the one its text is in (for hyphenation patterns). */
export function checkStyle(o: Record<string, unknown>, p: string, add: Add, fontNames: string[], locale?: string) {
  bool(o, "hyphenate", p, add);
  if (o.hyphenate === true) {
    const loc = typeof o.locale === "string" ? o.locale : (locale ?? "en-US");
    if (!hyphenationLanguage(loc))
      add(`${p}.hyphenate`, `no hyphenation patterns for the locale ${JSON.stringify(loc)} (there are for: ${HYPHENATION_LANGUAGES.join(", ")}); set "locale" or remove "hyphenate"`);
  }
  if (o.font !== undefined) {
    const list = Array.isArray(o.font) ? o.font : [o.font];
    if (list.length === 0) add(`${p}.font`, `must name at least one font`);
    for (const n of list)
      if (typeof n !== "string" || !fontNames.includes(n))
        add(`${p}.font`, `unknown font ${JSON.stringify(n)} (built in: ${BUILTIN_FONTS.join(", ")}; the template's: ${fontNames.slice(BUILTIN_FONTS.length).join(", ") || "none, add one with --font NAME=FILE.ttf"})`);
  }
  num(o, "size", p, add, false, 0.5);
  num(o, "maxWidth", p, add, false, 1);
  num(o, "minSize", p, add, false, 0.5);
  num(o, "lineHeight", p, add, false, 0.5);
  if (o.maxLines !== undefined && (!Number.isInteger(o.maxLines) || (o.maxLines as number) < 1))
    add(`${p}.maxLines`, `must be a whole number from 1 (got ${JSON.stringify(o.maxLines)})`);
  colour(o, "color", p, add);
  if (o.align !== undefined && !["left", "center", "right", "start", "end", "justify"].includes(o.align as string))
    add(`${p}.align`, `must be "left", "center", "right", "start", "end" or "justify" (got ${JSON.stringify(o.align)})`);
  if (o.align === "justify" && o.maxWidth === undefined && !p.includes(".columns[") && p !== "defaults") add(`${p}.align`, `"justify" needs a maxWidth (the width lines are stretched to)`);
  if (o.overflow !== undefined && !["wrap", "shrink", "none"].includes(o.overflow as string))
    add(`${p}.overflow`, `must be "wrap", "shrink" or "none" (got ${JSON.stringify(o.overflow)})`);
}
