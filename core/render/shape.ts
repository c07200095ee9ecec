// Text to positioned glyphs: each character's font (the first of the field's fonts that has it),
// Unicode bidi levels (bidi-js), runs shaped by HarfBuzz in their direction and script, runs in visual
// order. Text that needs none of that (Latin, Greek, Cyrillic in a built-in face) takes a plain
// character-to-glyph path: same glyphs, no wasm calls, and exactly the widths the layout measured.
import bidiFactory from "bidi-js";
import type { FontFace } from "./font-face.ts";
import { harfbuzz } from "./harfbuzz.ts";

/** Glyphs of one font in one direction, in visual order. Units: font units of `face`. */
export interface GlyphRun {
  face: FontFace;
  /** right-to-left (an odd bidi level) */
  rtl: boolean;
  /** the run's text in logical order, for ActualText (shaped left-to-right runs only) */
  text: string;
  gids: number[];
  /** advance of each glyph */
  adv: number[];
  /** offsets of each glyph from its pen position (marks, kerning by placement) */
  dx: number[];
  dy: number[];
  /**
   * the text each glyph stands for ("" for the second and later glyphs of a cluster); feeds ToUnicode.
   * In right-to-left runs a cluster's text is stored reversed: extractors read the glyphs right to left
   * (poppler reverses each RTL word's characters), so a ligature such as lam-alef comes back in logical order.
   */
  chars: string[];
}

/** One line of text, shaped. */
export interface ShapedLine {
  text: string;
  /** advance width at size 1 (em) */
  width: number;
  runs: GlyphRun[];
  /** shaped by HarfBuzz: glyphs may not map 1:1 to characters, so left-to-right runs carry their text as ActualText */
  shaped: boolean;
}

/** Characters a built-in face draws with a plain glyph lookup: Latin, Greek, Cyrillic, punctuation, symbols. */
const SIMPLE = /^[\u0020-\u007e\u00a0-\u02ff\u0370-\u0482\u048a-\u052f\u1e00-\u1fff\u2010-\u2027\u2030-\u205e\u20a0-\u20cf\u2100-\u2bff]*$/;

let bidi: ReturnType<typeof bidiFactory> | null = null;
/** one HarfBuzz buffer, reused: shaping is synchronous */
let buffer: InstanceType<ReturnType<typeof harfbuzz>["Buffer"]> | null = null;

const cache = new Map<string, ShapedLine>();
const CACHE_ENTRIES = 4096;

/** Shapes one line (no "\n") with a stack of fonts; `builtin`: the first face is a built-in one (fast path allowed). */
export function shapeLine(text: string, stack: FontFace[], builtin: boolean): ShapedLine {
  const face = stack[0];
  if (builtin && SIMPLE.test(text)) {
    let all = true;
    for (let i = 0; i < text.length; i++)
      if (!face.has(text.charCodeAt(i))) {
        all = false;
        break;
      }
    if (all) return simpleLine(text, face);
  }
  const key = `${stack.map((f) => f.key).join("|")}\u0000${text}`;
  let line = cache.get(key);
  if (line) {
    cache.delete(key);
    cache.set(key, line);
    return line;
  }
  line = complexLine(text, stack);
  cache.set(key, line);
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return line;
}

/** Width at size 1 without building the glyph runs (wrapping measures many candidate lines). */
export function lineWidth(text: string, stack: FontFace[], builtin: boolean): number {
  const face = stack[0];
  if (builtin && SIMPLE.test(text)) {
    let w = 0;
    for (let i = 0; i < text.length; i++) {
      const g = face.glyph(text.charCodeAt(i));
      if (g === 0) return shapeLine(text, stack, builtin).width;
      w += face.advance(g);
    }
    return w / face.upem;
  }
  return shapeLine(text, stack, builtin).width;
}

function simpleLine(text: string, face: FontFace): ShapedLine {
  const gids: number[] = [];
  const adv: number[] = [];
  const chars: string[] = [];
  let w = 0;
  for (let i = 0; i < text.length; i++) {
    const g = face.glyph(text.charCodeAt(i));
    const a = face.advance(g);
    gids.push(g);
    adv.push(a);
    chars.push(text[i]);
    w += a;
  }
  const zeros = new Array<number>(gids.length).fill(0);
  return { text, width: w / face.upem, runs: [{ face, rtl: false, text, gids, adv, dx: zeros, dy: zeros, chars }], shaped: false };
}

/** Scripts HarfBuzz must be told apart (a run never mixes two); everything else is "common" and joins its neighbours. */
const SCRIPTS: [RegExp, string][] = [
  [/\p{Script=Latin}/u, "Latn"],
  [/\p{Script=Greek}/u, "Grek"],
  [/\p{Script=Cyrillic}/u, "Cyrl"],
  [/\p{Script=Arabic}/u, "Arab"],
  [/\p{Script=Hebrew}/u, "Hebr"],
  [/\p{Script=Devanagari}/u, "Deva"],
  [/\p{Script=Bengali}/u, "Beng"],
  [/\p{Script=Tamil}/u, "Taml"],
  [/\p{Script=Thai}/u, "Thai"],
  [/\p{Script=Han}/u, "Hani"],
  [/\p{Script=Hiragana}/u, "Hira"],
  [/\p{Script=Katakana}/u, "Kana"],
  [/\p{Script=Hangul}/u, "Hang"],
];

function scriptOf(ch: string): string | null {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x41) return null;
  for (const [re, tag] of SCRIPTS) if (re.test(ch)) return tag;
  return null;
}

function complexLine(text: string, stack: FontFace[]): ShapedLine {
  bidi ??= bidiFactory();
  const { levels } = bidi.getEmbeddingLevels(text);
  // itemise: a new run where the bidi level, the font or the script changes
  interface Item { start: number; end: number; level: number; face: FontFace; script: string | null }
  const items: Item[] = [];
  let cur: Item | null = null;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const ch = text.slice(i, i + len);
    const level = levels[i];
    const face: FontFace = cur && cur.face.has(cp) ? cur.face : (stack.find((f) => f.has(cp)) ?? cur?.face ?? stack[0]);
    const script = scriptOf(ch);
    if (cur && cur.level === level && cur.face === face && (script === null || cur.script === null || cur.script === script)) {
      cur.end = i + len;
      cur.script ??= script;
    } else {
      cur = { start: i, end: i + len, level, face, script };
      items.push(cur);
    }
    i += len;
  }
  const hb = harfbuzz();
  const runs: { run: GlyphRun; level: number }[] = [];
  let width = 0;
  for (const it of items) {
    buffer ??= new hb.Buffer();
    const buf = buffer;
    buf.reset();
    buf.addText(text, it.start, it.end - it.start);
    buf.setDirection(it.level % 2 ? hb.Direction.RTL : hb.Direction.LTR);
    if (it.script) buf.setScript(it.script);
    buf.guessSegmentProperties();
    hb.shape(it.face.hb, buf);
    const glyphs = buf.getGlyphInfosAndPositions();
    // cluster -> the text it covers (clusters are UTF-16 offsets into `text`, ascending in logical order)
    const starts = [...new Set(glyphs.map((g) => g.cluster))].sort((a, b) => a - b);
    const clusterText = new Map<number, string>();
    starts.forEach((s, k) => clusterText.set(s, text.slice(s, k + 1 < starts.length ? starts[k + 1] : it.end)));
    const seen = new Set<number>();
    const rtl = it.level % 2 === 1;
    const run: GlyphRun = { face: it.face, rtl, text: text.slice(it.start, it.end), gids: [], adv: [], dx: [], dy: [], chars: [] };
    for (const g of glyphs) {
      run.gids.push(g.codepoint);
      run.adv.push(g.xAdvance ?? 0);
      run.dx.push(g.xOffset ?? 0);
      run.dy.push(g.yOffset ?? 0);
      const t = seen.has(g.cluster) ? "" : clusterText.get(g.cluster)!;
      run.chars.push(rtl && t.length > 1 ? Array.from(t).reverse().join("") : t);
      seen.add(g.cluster);
      width += (g.xAdvance ?? 0) / it.face.upem;
    }
    runs.push({ run, level: it.level });
  }
  return { text, width, runs: visualOrder(runs), shaped: true };
}

/** Unicode bidi rule L2 on whole runs: reverse every maximal sequence at level ≥ k, from the highest level down to the lowest odd one. */
export function visualOrder<T>(runs: { run: T; level: number }[]): T[] {
  const out = runs.slice();
  if (out.length < 2) return out.map((r) => r.run);
  const max = Math.max(...out.map((r) => r.level));
  const minOdd = Math.min(...out.map((r) => (r.level % 2 ? r.level : r.level + 1)));
  for (let k = max; k >= minOdd; k--) {
    for (let i = 0; i < out.length; ) {
      if (out[i].level < k) {
        i++;
        continue;
      }
      let j = i;
      while (j < out.length && out[j].level >= k) j++;
      const rev = out.slice(i, j).reverse();
      out.splice(i, j - i, ...rev);
      i = j;
    }
  }
  return out.map((r) => r.run);
}
