// The built-in fonts (DejaVu, shipped inside the binary), their metrics, and embedding them into a PDF.
import fontkit from "@pdf-lib/fontkit";
import type { PDFContext, PDFDocument, PDFFont, PDFRef } from "pdf-lib";
import { zlibDeflate } from "./native-deflate.ts";
import sansPath from "./fonts/DejaVuSans.ttf" with { type: "file" };
import sansBoldPath from "./fonts/DejaVuSans-Bold.ttf" with { type: "file" };
import monoPath from "./fonts/DejaVuSansMono.ttf" with { type: "file" };
import type { FontName } from "./layout.ts";
import type { FontMetrics } from "./text.ts";

const FILES: Record<FontName, { path: string; family: string }> = {
  sans: { path: sansPath, family: "DejaVu Sans" },
  "sans-bold": { path: sansBoldPath, family: "DejaVu Sans Bold" },
  mono: { path: monoPath, family: "DejaVu Sans Mono" },
};

interface LoadedFont {
  name: FontName;
  bytes: Uint8Array;
  /** glyph ids of BASE_SUBSET_CODE_POINTS that the font has, in that order */
  baseGlyphs: number[];
  font: fontkit.Font;
  metrics: FontMetrics;
}

const loaded = new Map<FontName, LoadedFont>();

/** Reads every built-in font once per process (a few ms); later calls are free. */
export async function loadFonts(): Promise<void> {
  for (const name of Object.keys(FILES) as FontName[]) {
    if (loaded.has(name)) continue;
    const bytes = await Bun.file(FILES[name].path).bytes();
    loaded.set(name, makeLoaded(name, bytes));
  }
}

function makeLoaded(name: FontName, bytes: Uint8Array): LoadedFont {
  const font = fontkit.create(bytes as unknown as Buffer);
  const upm = font.unitsPerEm;
  const advance = new Map<number, number>();
  const adv = (cp: number): number => {
    let a = advance.get(cp);
    if (a === undefined) {
      a = font.glyphForCodePoint(cp).advanceWidth / upm;
      advance.set(cp, a);
    }
    return a;
  };
  memoiseGlyphDecoding(font);
  const glyphs = new Map<number, fontkit.Glyph>();
  const glyph = (cp: number) => {
    let g = glyphs.get(cp);
    if (!g) {
      // The glyph objects are shared and may have been created without code points (as a component
      // of a composite glyph); pdf-lib's ToUnicode map reads `codePoints`, so give it its own.
      g = Object.create(font.glyphForCodePoint(cp), { codePoints: { value: [cp] } }) as fontkit.Glyph;
      glyphs.set(cp, g);
    }
    return g;
  };
  (font as unknown as { layout: (text: string) => { glyphs: fontkit.Glyph[] } }).layout = (text) => ({
    glyphs: Array.from(text, (ch) => glyph(ch.codePointAt(0)!)),
  });
  const metrics: FontMetrics = {
    family: FILES[name].family,
    ascent: font.ascent / upm,
    width(text) {
      let w = 0;
      for (const ch of text) w += adv(ch.codePointAt(0)!);
      return w;
    },
    missingGlyph(text) {
      for (const ch of text) if (!font.hasGlyphForCodePoint(ch.codePointAt(0)!)) return ch;
      return undefined;
    },
  };
  const baseGlyphs = BASE_SUBSET_CODE_POINTS.filter((cp) => font.hasGlyphForCodePoint(cp)).map((cp) => font.glyphForCodePoint(cp).id);
  return { name, bytes, font, metrics, baseGlyphs };
}

/**
 * fontkit's subsetter re-parses each glyph's outline for every document (TTFSubset._addGlyph calls
 * glyph._decode()); glyph objects are cached per font, so cache the parse on them too.
 */
function memoiseGlyphDecoding(font: fontkit.Font): void {
  type G = { _decode(): unknown; __docctlMemo?: true };
  const f = font as unknown as { getGlyph(id: number, cps?: number[]): G };
  const getGlyph = f.getGlyph.bind(f);
  f.getGlyph = (id, cps) => {
    const g = getGlyph(id, cps);
    if (!g.__docctlMemo) {
      const decode = g._decode.bind(g);
      let done = false;
      let value: unknown;
      g._decode = () => {
        if (!done) {
          value = decode();
          done = true;
        }
        return value;
      };
      g.__docctlMemo = true;
    }
    return g;
  };
}

/** Where a built-in font's file is read from: a `/$bunfs/...` path inside a compiled binary. */
export function fontFile(name: FontName): string {
  return FILES[name].path;
}

/** Metrics of a built-in font; loadFonts() must have run. */
export function fontMetrics(name: FontName): FontMetrics {
  const f = loaded.get(name);
  if (!f) throw new Error(`font ${name} is not loaded: call loadFonts() first`);
  return f.metrics;
}

/** Bytes of a built-in font (for form field appearances and the HTML engine). */
export function fontBytes(name: FontName): Uint8Array {
  const f = loaded.get(name);
  if (!f) throw new Error(`font ${name} is not loaded: call loadFonts() first`);
  return f.bytes;
}

/**
 * pdf-lib asks the fontkit it is given to parse the font file again for every document, which costs
 * more than the rest of the render (a 750 kB copy and every table decoded afresh). The font is
 * read-only once parsed, so hand pdf-lib the one instance per process; each document still gets its
 * own subset.
 */
const sharedFontkit = {
  create(bytes: Uint8Array) {
    for (const f of loaded.values()) if (f.bytes === bytes) return f.font;
    return fontkit.create(bytes as unknown as Buffer);
  },
};

/**
 * Embeds a built-in font as a subset. Text is encoded by a plain character-to-glyph lookup instead of
 * fontkit's full shaping: Latin, Greek and Cyrillic need no shaping once NFC-normalised, widths then
 * match fontMetrics() exactly, and drawing gets about twice as fast. pdf-lib 1.17's subset embedder
 * calls `font.layout(text)` on the fontkit instance, which is ours (see sharedFontkit).
 */
export async function embedFont(doc: PDFDocument, name: FontName): Promise<PDFFont> {
  const f = loaded.get(name);
  if (!f) throw new Error(`font ${name} is not loaded: call loadFonts() first`);
  doc.registerFontkit(sharedFontkit as unknown as typeof fontkit);
  const pdfFont = await doc.embedFont(f.bytes, { subset: true });
  reuseSubsets(pdfFont, f);
  return pdfFont;
}

/**
 * Code points every subset starts with, in a fixed order: ASCII, Latin-1, Latin Extended-A and common
 * punctuation (€ – — ‘ ’ “ ” • … № ×). Most documents use nothing else, so their subsets are identical
 * and the encoded font file can be reused (see reuseSubsets) at the cost of ~15 kB per font per PDF.
 */
export const BASE_SUBSET_CODE_POINTS: number[] = [
  ...range(0x20, 0x7e),
  ...range(0xa0, 0xff),
  ...range(0x100, 0x17f),
  ...[0x20ac, 0x2013, 0x2014, 0x2018, 0x2019, 0x201a, 0x201c, 0x201d, 0x201e, 0x2022, 0x2026, 0x2116, 0x2122, 0x2212],
];

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** Encoded subset font files, per font and glyph list (insertion order matters); least recently used evicted. */
const subsetCache = new Map<string, Uint8Array>();
const SUBSET_CACHE_ENTRIES = 128;

/** Empties the subset cache (tests compare cached and fresh output). */
export function clearSubsetCache(): void {
  subsetCache.clear();
}

/**
 * Encoding a TrueType subset (fontkit) and deflating it is the largest cost of a small document. The
 * bytes depend only on the font and the ordered glyph list, so: seed every subset with the base glyphs
 * in a fixed order, and cache the compressed font file by glyph list. This hooks pdf-lib 1.17's
 * CustomFontSubsetEmbedder (`subset`, `serializeFont`, `embedFontStream`).
 */
function reuseSubsets(pdfFont: PDFFont, f: LoadedFont): void {
  type Subset = { glyphs: number[]; includeGlyph(g: number): number };
  type Embedder = {
    subset?: Subset;
    glyphs?: unknown[];
    glyphCache?: { access(): unknown[]; invalidate(): void };
    serializeFont(): Promise<Uint8Array>;
    embedFontStream?: (context: PDFContext) => Promise<PDFRef>;
  };
  const embedder = (pdfFont as unknown as { embedder: Embedder }).embedder;
  const subset = embedder.subset;
  if (!subset || typeof embedder.embedFontStream !== "function" || !Array.isArray(subset.glyphs) || !Array.isArray(embedder.glyphs)) return;
  for (const gid of f.baseGlyphs) subset.includeGlyph(gid);
  // widths and ToUnicode cover the glyphs the text used; skip the seeded ones it did not use
  const used = embedder.glyphs;
  embedder.glyphCache = { access: () => used.filter((g) => g !== undefined), invalidate() {} };
  embedder.embedFontStream = async (context) => {
    const key = `${f.name}:${subset.glyphs.join(",")}`;
    let compressed = subsetCache.get(key);
    if (compressed) subsetCache.delete(key);
    else compressed = zlibDeflate(await embedder.serializeFont());
    subsetCache.set(key, compressed);
    if (subsetCache.size > SUBSET_CACHE_ENTRIES) subsetCache.delete(subsetCache.keys().next().value!);
    return context.register(context.stream(compressed, { Filter: "FlateDecode" }));
  };
}
