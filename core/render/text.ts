// Text fitting: wrapping onto lines and shrinking to a width. Pure functions of text, style and font metrics.
import { renderError } from "./errors.ts";
import type { Align, FontSpec, Overflow } from "./layout.ts";

/** What fitting needs to know about a font. */
export interface FontMetrics {
  /** human name for messages ("DejaVu Sans") */
  family: string;
  /** advance width of `text` at size 1, in points */
  width(text: string): number;
  /** ascender height as a fraction of the size */
  ascent: number;
  /** the characters none of the fonts has a glyph for (each once, in order of appearance) */
  missing(text: string): string[];
}

/** Looks up metrics for a field's font(s). */
export type MetricsSource = (font: FontSpec) => FontMetrics;

/** A style with every default applied. */
export interface ResolvedStyle {
  font: FontSpec;
  size: number;
  color: string;
  align: Align;
  maxWidth?: number;
  overflow: Overflow;
  maxLines?: number;
  minSize: number;
  lineHeight: number;
  /** insert soft hyphens by the language's patterns before wrapping */
  hyphenate?: boolean;
}

/** Text fitted into its box: the lines to draw and the size to draw them at. */
export interface FittedText {
  lines: string[];
  size: number;
  /** width of each line at `size` */
  widths: number[];
  /** height of the block: lines × size × lineHeight */
  height: number;
  /** wrapped text: whether each line ends its paragraph (justification leaves those as they are) */
  last?: boolean[];
}

/** Scripts written without spaces between words: lines may break between ideographs, or between Thai words. */
const NO_SPACES = /[\u0e00-\u0eff\u1780-\u17ff\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/;
let segmenter: Intl.Segmenter | null = null;

/**
 * A space-separated word split where a line may break inside it: between ideographs and kana, and at
 * Thai/Lao/Khmer word boundaries (ICU's dictionaries through Intl.Segmenter). Punctuation stays
 * with the word before it, so no line starts with "。" or "、".
 */
export function breakPieces(word: string): string[] {
  if (!NO_SPACES.test(word)) return [word];
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "word" });
  const out: string[] = [];
  for (const seg of segmenter.segment(word)) {
    const chunks = /[\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/.test(seg.segment) ? Array.from(seg.segment) : [seg.segment];
    for (const c of chunks) {
      if (out.length && (!seg.isWordLike && !/^[\p{Ps}\p{Pi}]/u.test(c))) out[out.length - 1] += c;
      else out.push(c);
    }
  }
  return out;
}

/** The soft hyphen (U+00AD): a place a word may break, drawn as "-" only at the end of a line. */
export const SHY = "\u00ad";

/** One wrapped line, and where it stands in its paragraph (justification leaves a paragraph's last line as it is). */
export interface WrappedLine {
  text: string;
  /** 0-based paragraph (text between explicit line breaks) */
  para: number;
  /** the paragraph's last line */
  last: boolean;
}

/** Breaks text into lines no wider than maxWidth at spaces (and between ideographs), breaking over-long words between characters. */
export function wrapText(text: string, maxWidth: number, widthOf: (s: string) => number): string[] {
  return wrapLines(text, maxWidth, widthOf).map((l) => l.text);
}

/**
 * Breaks text into lines no wider than maxWidth: at spaces (and between ideographs); inside a word at a
 * soft hyphen (U+00AD, which hyphenation inserts), the line then ending in "-"; a word wider than the box
 * with no soft hyphen that helps is broken between characters. Soft hyphens never reach the lines' text.
 */
export function wrapLines(text: string, maxWidth: number, widthOf: (s: string) => number): WrappedLine[] {
  const out: WrappedLine[] = [];
  const w = (s: string) => widthOf(s.includes(SHY) ? s.replaceAll(SHY, "") : s);
  text.split(/\r?\n/).forEach((para, p) => {
    const push = (s: string) => out.push({ text: s.includes(SHY) ? s.replaceAll(SHY, "") : s, para: p, last: false });
    const spaced = para.split(/[ \t]+/).filter((x, i, a) => x !== "" || a.length === 1);
    // [piece, joins the previous piece without a space]
    const words: [string, boolean][] = spaced.flatMap((x) => breakPieces(x).map((piece, k) => [piece, k > 0] as [string, boolean]));
    let line = "";
    for (let [word, glued] of words) {
      for (;;) {
        const sep = line && !glued ? " " : "";
        if (w(line + sep + word) <= maxWidth) {
          line += sep + word;
          break;
        }
        const cut = softBreak(line + sep, word, maxWidth, w);
        if (cut) {
          push(`${line}${sep}${cut.head}-`);
          line = "";
          word = cut.tail;
          glued = false;
          continue;
        }
        if (line) {
          push(line);
          line = "";
          glued = false;
          continue;
        }
        // a word wider than the box: break it between characters
        let piece = "";
        for (const ch of Array.from(word.replaceAll(SHY, ""))) {
          if (piece && w(piece + ch) > maxWidth) {
            push(piece);
            piece = ch;
          } else piece += ch;
        }
        line = piece;
        break;
      }
    }
    push(line);
    out[out.length - 1].last = true;
  });
  return out;
}

/** The longest head of `word` up to a soft hyphen that fits after `prefix` with its "-", and the rest. */
function softBreak(prefix: string, word: string, maxWidth: number, w: (s: string) => number): { head: string; tail: string } | undefined {
  for (let i = word.lastIndexOf(SHY); i > 0; i = word.lastIndexOf(SHY, i - 1)) {
    const head = word.slice(0, i);
    if (head.replaceAll(SHY, "") && w(`${prefix}${head}-`) <= maxWidth) return { head, tail: word.slice(i + 1) };
  }
  return undefined;
}

/**
 * Fits text into the style's box: wrap onto lines, or shrink the size down to minSize. Throws
 * TEXT_OVERFLOW (naming `where`) when the text cannot fit as the style allows.
 */
export function fitText(text: string, style: ResolvedStyle, metrics: FontMetrics, where: string): FittedText {
  const { maxWidth } = style;
  let size = style.size;
  let lines: string[];
  let last: boolean[] | undefined;
  if (maxWidth === undefined || style.overflow === "none") {
    lines = text.replaceAll(SHY, "").split(/\r?\n/);
  } else if (style.overflow === "shrink") {
    lines = text.replaceAll(SHY, "").split(/\r?\n/);
    const widest = Math.max(...lines.map((l) => metrics.width(l)));
    if (widest * size > maxWidth) {
      size = Math.floor((maxWidth / widest) * 100) / 100;
      if (size < style.minSize)
        throw renderError(
          "TEXT_OVERFLOW",
          `${where}: ${JSON.stringify(clip(text))} does not fit in ${maxWidth}pt even at the minimum size ${style.minSize}pt ` +
            `(it needs ${round(widest * style.minSize)}pt); shorten it, widen maxWidth or lower minSize`,
        );
    }
  } else {
    const wrapped = wrapLines(text, maxWidth, (s) => metrics.width(s) * size);
    lines = wrapped.map((l) => l.text);
    last = wrapped.map((l) => l.last);
    if (style.maxLines !== undefined && lines.length > style.maxLines)
      throw renderError(
        "TEXT_OVERFLOW",
        `${where}: ${JSON.stringify(clip(text))} needs ${lines.length} lines at ${maxWidth}pt wide but maxLines is ${style.maxLines}; ` +
          `shorten it, widen maxWidth or raise maxLines`,
      );
  }
  const widths = lines.map((l) => metrics.width(l) * size);
  return { lines, size, widths, height: lines.length * size * style.lineHeight, last };
}

/** Whether a line reads right to left: its first strong letter is Hebrew, Arabic, Syriac, Thaana or N'Ko (Unicode bidi rules P2-P3). */
export function isRtl(line: string): boolean {
  const m = /[\p{L}]/u.exec(line);
  return !!m && /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/.test(m[0]);
}

/** x where a line starts, given the box's left edge, its width (if any) and the alignment; start/end need `rtl`. */
export function alignX(x: number, lineWidth: number, align: Align, boxWidth?: number, rtl = false): number {
  // a justified line fills the box; a paragraph's last line is set like "start"
  if (align === "justify") align = "start";
  if (align === "start") align = rtl ? "right" : "left";
  else if (align === "end") align = rtl ? "left" : "right";
  if (boxWidth === undefined) {
    if (align === "right") return x - lineWidth;
    if (align === "center") return x - lineWidth / 2;
    return x;
  }
  if (align === "right") return x + boxWidth - lineWidth;
  if (align === "center") return x + (boxWidth - lineWidth) / 2;
  return x;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
