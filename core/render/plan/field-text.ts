// The text a field, cell or after-field prints: its source (data value, Mustache text with pipes, format),
// its resolved style, hyphenation, the glyph check and fitting, and the lines turned into text ops. Pure.
import { renderError } from "../errors.ts";
import { dataPathName, getPath, mustacheNames, renderText, valueText } from "../data.ts";
import type { layoutDefaults, TextSource, TextStyle } from "../layout.ts";
import { alignX, fitText, isRtl, type FittedText, type MetricsSource, type ResolvedStyle } from "../text.ts";
import type { Hyphenator } from "../hyphenate.ts";
import { PIPE, formatValue, parseFormat, type Format } from "../format.ts";
import { hexColor, type TextOp } from "./ops.ts";

/** What turns a source's text into the text to fit: hyphenation by locale. */
export interface Prep {
  hyphenator?: Hyphenator;
  locale?: string;
  /** the job's time zone for dates with a time (a field's `tz` wins) */
  tz?: string;
}

/** The text with soft hyphens inserted when the style hyphenates. */
export function prepared(text: string, style: ResolvedStyle, src: TextSource, prep: Prep): string {
  if (!style.hyphenate || !prep.hyphenator || style.maxWidth === undefined) return text;
  return prep.hyphenator(text, src.locale ?? prep.locale ?? "en-US");
}

export function resolveStyle(defaults: typeof layoutDefaults & TextStyle, s: TextStyle): ResolvedStyle {
  const merged = { ...defaults, ...stripUndefined(s) };
  return {
    font: merged.font,
    size: merged.size,
    color: merged.color,
    align: merged.align,
    maxWidth: merged.maxWidth,
    overflow: merged.overflow ?? (merged.maxWidth !== undefined ? "wrap" : "none"),
    maxLines: merged.maxLines,
    minSize: merged.minSize,
    lineHeight: merged.lineHeight,
    hyphenate: merged.hyphenate,
  };
}

/** The text of a field or cell: its data value or its rendered Mustache text; MISSING_FIELD when absent. */
export function sourceText(src: TextSource, view: unknown, prefix: string, where: string, scope: unknown, ctx: Prep): string {
  const locale = src.locale ?? ctx.locale;
  const tz = src.tz ?? ctx.tz;
  if (src.text !== undefined) {
    const missing = (name: string) => {
      if (!src.optional) throw renderError("MISSING_FIELD", `${dataPathName(prefix, name)} is missing (${where} prints ${JSON.stringify(src.text)})`);
    };
    // pipes first: `{{total | currency: "EUR"}}` becomes the formatted text
    const piped = src.text.replace(PIPE, (_m, name: string, spec: string) => {
      const v = getPath(view, name);
      if (v === undefined || v === null) {
        missing(name);
        return "";
      }
      return formatted(v, spec, locale, `${dataPathName(prefix, name)} (${where})`, tz);
    });
    for (const name of mustacheNames(piped)) {
      if (name.startsWith("$") || name === ".") continue;
      if (getPath(view, name) === undefined || getPath(view, name) === null) missing(name);
    }
    return renderText(piped, view);
  }
  const path = src.field!;
  const raw = getPath(scope, path);
  if (src.format !== undefined && raw !== undefined && raw !== null) return formatted(raw, src.format, locale, `${dataPathName(prefix, path)} (${where})`, tz);
  const value = valueText(raw, dataPathName(prefix, path));
  if (value !== undefined) return value;
  if (src.default !== undefined) return src.default;
  if (src.optional) return "";
  throw renderError("MISSING_FIELD", `${dataPathName(prefix, path)} is missing (${where} needs it; add it to the data or mark the field "optional": true)`);
}

const formats = new Map<string, Format | string>();

/** A value through a format spec; BAD_FIELD_VALUE naming `what` when it does not suit (BAD_LAYOUT for a bad spec in a text pipe). */
function formatted(value: unknown, spec: string, locale: string | undefined, what: string, tz?: string): string {
  let f = formats.get(spec);
  if (f === undefined) formats.set(spec, (f = parseFormat(spec)));
  if (typeof f === "string") throw renderError("BAD_LAYOUT", `${what}: ${f}`);
  const r = formatValue(value, f, locale, tz);
  if ("error" in r) throw renderError("BAD_FIELD_VALUE", `${what}: ${r.error}`);
  return r.text;
}

export function fitChecked(text: string, style: ResolvedStyle, metrics: MetricsSource, where: string, src: TextSource): FittedText {
  // tabs print as spaces and every line break as "\n": neither has a glyph to draw
  const clean = text.normalize("NFC").replace(/\r\n?/g, "\n").replace(/\t/g, " ");
  const m = metrics(style.font);
  const bad = m.missing(clean);
  if (bad.length) {
    const what = src.field ? `field "${src.field}"` : `text ${JSON.stringify(src.text)}`;
    const chars = bad.slice(0, 8).map((c) => `${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`);
    throw renderError(
      "UNKNOWN_GLYPH",
      `${where} (${what}): ${bad.length === 1 ? "character" : "characters"} ${chars.join(", ")}${bad.length > 8 ? ` and ${bad.length - 8} more` : ""} ` +
        `${bad.length === 1 ? "is" : "are"} not in the font${Array.isArray(style.font) && style.font.length > 1 ? "s" : ""} ${[style.font].flat().map((n) => JSON.stringify(n)).join(", ")} (${m.family}); ` +
        `store a font that has ${bad.length === 1 ? "it" : "them"} with the template (docctl template put ... --font NAME=FILE.ttf) and name it in the field's "font"`,
    );
  }
  return fitText(clean, style, m, where);
}

export function linesToOps(f: FittedText, style: ResolvedStyle, x: number, top: number, page: number, metrics: MetricsSource): TextOp[] {
  const ascent = metrics(style.font).ascent * f.size;
  return f.lines.flatMap((_, i) => {
    const op = lineOp(f, i, style, x, top + ascent + i * f.size * style.lineHeight, page);
    return op ? [op] : [];
  });
}

/** Line `i` of fitted text as an op at `baseline`; justified lines (all but a paragraph's last) stretch their spaces to the box. */
export function lineOp(f: FittedText, i: number, style: ResolvedStyle, x: number, baseline: number, page: number): TextOp | null {
  const text = f.lines[i];
  if (text === "") return null;
  const rtl = (style.align === "start" || style.align === "end" || style.align === "justify") && isRtl(text);
  const op: TextOp = { page, x: alignX(x, f.widths[i], style.align, style.maxWidth, rtl), baseline, text, font: style.font, size: f.size, color: hexColor(style.color) };
  if (style.align === "justify" && style.maxWidth !== undefined && f.last && !f.last[i]) {
    const spaces = text.split(" ").length - 1;
    if (spaces > 0 && f.widths[i] < style.maxWidth) {
      op.x = x;
      op.wordSpacing = (style.maxWidth - f.widths[i]) / spaces;
    }
  }
  return op;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
