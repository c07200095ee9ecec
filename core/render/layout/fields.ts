// Checks of placed fields beyond their shape (shape.ts): fonts, locales, time zones, formats and Mustache
// texts, assets, pages against the base, and the rules across keys (flow, one of field/text).
import Mustache from "mustache";
import { PIPE, checkLocale, checkTimeZone, parseFormat } from "../format.ts";
import { HYPHENATION_LANGUAGES, hyphenationLanguage } from "../hyphenate.ts";
import { BUILTIN_FONTS, FIELD_KINDS, type FieldKind } from "./types.ts";
import { type Add, isObject, typeName } from "./check.ts";
import { checkShape } from "./shape.ts";
import type { LayoutCheck } from "./context.ts";

/** Checks `fields[i]`. */
export function checkField(f: unknown, i: number, c: LayoutCheck) {
  const { add } = c;
  const p = `fields[${i}]`;
  if (!isObject(f)) return add(p, `must be an object (got ${typeName(f)})`);
  const kind = (f.kind ?? "text") as FieldKind;
  if (!FIELD_KINDS.includes(kind)) return add(`${p}.kind`, `unknown kind ${JSON.stringify(f.kind)} (known: ${FIELD_KINDS.join(", ")})`);
  checkShape(kind, f, p, add);
  c.page(f.page, `${p}.page`);
  c.onPage(f.page, f.x, f.y, p);
  if (c.omitted.has(f.page as number) && f.repeat !== true)
    add(`${p}.page`, `page ${f.page} is in omitPages, so it is only printed as continuation pages: add "repeat": true to print this field there`);
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
      if ((f.field === undefined) === (f.asset === undefined)) add(p, `an image needs exactly one of "field" (a data URL or base64 PNG/JPEG in the data) or "asset" (an image stored with the template)`);
      if (f.asset !== undefined && !assets.includes(f.asset as string))
        add(`${p}.asset`, `the template has no asset ${JSON.stringify(f.asset)} (it has: ${assets.map((a) => JSON.stringify(a)).join(", ") || "none"}; add one with --asset NAME=FILE)`);
      break;
    case "qr":
      checkSource(f, p, add);
      break;
    case "barcode":
      checkSource(f, p, add);
      if (f.font !== undefined && !fontNames.includes(f.font as string)) add(`${p}.font`, `unknown font ${JSON.stringify(f.font)} (fonts: ${fontNames.join(", ")})`);
      break;
    // line, rect, ellipse: their shape (shape.ts) is all there is to check
  }
}

const FLOW_KEYS = ["bottom", "continuePage", "continueTop", "orphans", "widows"];

/** A flowing text field: its frame on the first and the continuation pages, widows and orphans. */
function checkFlow(f: Record<string, unknown>, p: string, c: LayoutCheck) {
  const { add } = c;
  if (f.flow !== true) {
    for (const k of FLOW_KEYS) if (f[k] !== undefined) add(`${p}.${k}`, `only applies to a flowing field; add "flow": true`);
    return;
  }
  if (f.maxWidth === undefined) add(`${p}.maxWidth`, `is required with "flow": true (the width of the text column)`);
  if (f.overflow !== undefined && f.overflow !== "wrap") add(`${p}.overflow`, `a flowing field wraps; remove "overflow" (got ${JSON.stringify(f.overflow)})`);
  if (f.maxLines !== undefined) add(`${p}.maxLines`, `a flowing field takes as many lines and pages as its text needs; remove maxLines`);
  if (f.repeat === true) add(`${p}.repeat`, `a flowing field prints once, continuing on continuation pages; remove "repeat"`);
  if (f.bottom === undefined) add(`${p}.bottom`, `is required (a number of points)`);
  if (f.continuePage !== undefined) c.page(f.continuePage, `${p}.continuePage`);
  if (typeof f.bottom === "number" && typeof f.y === "number" && f.bottom <= f.y) add(`${p}.bottom`, `must be below y (y grows downwards from the top of the page): y ${f.y}, bottom ${f.bottom}`);
  if (typeof f.bottom === "number" && typeof f.continueTop === "number" && f.bottom <= f.continueTop) add(`${p}.continueTop`, `must be above bottom ${f.bottom} (got ${f.continueTop})`);
  c.onPage(f.page, undefined, f.bottom, `${p}.bottom`, true);
  if (Number.isInteger(f.page)) {
    const other = c.flowPages.get(f.page as number);
    if (other !== undefined) add(`${p}.page`, `${other} already flows from page ${f.page}; one table or flowing field per page`);
    else c.flowPages.set(f.page as number, p);
  }
}

/** Checks a text source beyond its shape: exactly one of field/text, its Mustache, time zone, format and locale. */
export function checkSource(o: Record<string, unknown>, p: string, add: Add) {
  if ((o.field !== undefined) === (o.text !== undefined)) add(p, `needs exactly one of "field" (a data path) or "text" (a Mustache text)`);
  if (typeof o.text === "string") checkMustache(o.text, `${p}.text`, add);
  if (typeof o.tz === "string") {
    const bad = checkTimeZone(o.tz);
    if (bad) add(`${p}.tz`, bad);
  }
  if (typeof o.format === "string") {
    const f = parseFormat(o.format);
    if (typeof f === "string") add(`${p}.format`, f);
  }
  if (typeof o.locale === "string") {
    const bad = checkLocale(o.locale);
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

/** Checks a text style beyond its shape: font names, hyphenation for its locale (`locale`: the one its text is in), justify's width. */
export function checkStyle(o: Record<string, unknown>, p: string, add: Add, fontNames: string[], locale?: string) {
  if (o.hyphenate === true) {
    const loc = typeof o.locale === "string" ? o.locale : (locale ?? "en-US");
    if (!hyphenationLanguage(loc))
      add(`${p}.hyphenate`, `no hyphenation patterns for the locale ${JSON.stringify(loc)} (there are for: ${HYPHENATION_LANGUAGES.join(", ")}); set "locale" or remove "hyphenate"`);
  }
  // Which names exist depends on the template, so fonts are checked here (a non-string is an unknown font too).
  if (o.font !== undefined) {
    const list = Array.isArray(o.font) ? o.font : [o.font];
    if (list.length === 0) add(`${p}.font`, `must name at least one font`);
    for (const n of list)
      if (typeof n !== "string" || !fontNames.includes(n))
      add(`${p}.font`, `unknown font ${JSON.stringify(n)} (built in: ${BUILTIN_FONTS.join(", ")}; the template's: ${fontNames.slice(BUILTIN_FONTS.length).join(", ") || "none, add one with --font NAME=FILE.ttf"})`);
  }
  if (o.align === "justify" && o.maxWidth === undefined && !p.includes(".columns[") && p !== "defaults") add(`${p}.align`, `"justify" needs a maxWidth (the width lines are stretched to)`);
}
