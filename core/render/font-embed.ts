// Embedding a built-in font through pdf-lib for form field appearances (form filling only; layout text
// goes through pdf-font.ts): one parsed font shared by every document, plain glyph lookup instead of
// shaping, and encoded subsets reused between documents.
// These hook pdf-lib 1.17's CustomFontSubsetEmbedder and @pdf-lib/fontkit 1.1 internals (pinned in
// package.json); test/render/layout-engine.test.ts checks the output against a fresh subset.
import type fontkit from "@pdf-lib/fontkit";
import type { PDFContext, PDFDocument, PDFFont, PDFRef } from "pdf-lib";
import { builtinFontkit, parsedBuiltinFontkit } from "./fonts.ts";
import type { BuiltinFontName as FontName } from "./layout.ts";

type BuiltinFont = Awaited<ReturnType<typeof builtinFontkit>>;
import { zlibDeflate } from "./native-deflate.ts";

/**
 * Code points every subset starts with, in a fixed order: ASCII, Latin-1, Latin Extended-A and common
 * punctuation (€ – — ‘ ’ “ ” • … № ™ −). Most documents use nothing else, so their subsets are identical
 * and the encoded font file is reused, at the cost of ~15 kB per font per PDF.
 */
export const BASE_SUBSET_CODE_POINTS: number[] = [
  ...range(0x20, 0x7e),
  ...range(0xa0, 0xff),
  ...range(0x100, 0x17f),
  ...[0x20ac, 0x2013, 0x2014, 0x2018, 0x2019, 0x201a, 0x201c, 0x201d, 0x201e, 0x2022, 0x2026, 0x2116, 0x2122, 0x2212],
];

/** Per-font state added on first embedding. */
interface Shared {
  /** glyph ids of BASE_SUBSET_CODE_POINTS the font has, in that order */
  baseGlyphs: number[];
}
const shared = new Map<FontName, Shared>();

/**
 * pdf-lib asks the fontkit it is given to parse the font file again for every document, which costs
 * more than the rest of the render (a 750 kB copy and every table decoded afresh). The parsed font is
 * read-only, so hand pdf-lib the one instance per process; each document still gets its own subset.
 */
function sharedFontkit(fk: typeof fontkit) {
  return {
    create(bytes: Uint8Array) {
      return parsedBuiltinFontkit(bytes) ?? fk.create(bytes as unknown as Buffer);
    },
  };
}

/** Embeds a built-in font into `doc` as a subset. */
export async function embedFont(doc: PDFDocument, name: FontName): Promise<PDFFont> {
  const f = await builtinFontkit(name);
  const s = share(f);
  doc.registerFontkit(sharedFontkit((await import("@pdf-lib/fontkit")).default) as unknown as typeof fontkit);
  const pdfFont = await doc.embedFont(f.bytes, { subset: true });
  reuseSubsets(pdfFont, f, s);
  return pdfFont;
}

function share(f: BuiltinFont): Shared {
  let s = shared.get(f.name);
  if (s) return s;
  const font = f.font;
  memoiseGlyphDecoding(font);
  // Text is encoded by a plain character-to-glyph lookup instead of fontkit's full shaping: Latin,
  // Greek and Cyrillic need no shaping once NFC-normalised, widths then match fontMetrics() exactly,
  // and drawing is about twice as fast. pdf-lib's embedder calls `font.layout(text)`.
  const glyphs = new Map<number, fontkit.Glyph>();
  const glyph = (cp: number) => {
    let g = glyphs.get(cp);
    if (!g) {
      // Glyph objects are shared and may first have been created without code points (as a component
      // of a composite glyph); pdf-lib's ToUnicode map reads `codePoints`, so give each its own.
      g = Object.create(font.glyphForCodePoint(cp), { codePoints: { value: [cp] } }) as fontkit.Glyph;
      glyphs.set(cp, g);
    }
    return g;
  };
  (font as unknown as { layout: (text: string) => { glyphs: fontkit.Glyph[] } }).layout = (text) => ({
    glyphs: Array.from(text, (ch) => glyph(ch.codePointAt(0)!)),
  });
  s = { baseGlyphs: BASE_SUBSET_CODE_POINTS.filter((cp) => font.hasGlyphForCodePoint(cp)).map((cp) => font.glyphForCodePoint(cp).id) };
  shared.set(f.name, s);
  return s;
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

/** Encoded subset font files, per font and glyph list (insertion order matters); least recently used evicted. */
const subsetCache = new Map<string, Uint8Array>();
const SUBSET_CACHE_ENTRIES = 128;

/** Empties the subset cache (tests compare cached and fresh output; the benchmark measures without it). */
export function clearFormSubsetCache(): void {
  subsetCache.clear();
}

/**
 * Encoding a TrueType subset (fontkit) and deflating it is the largest cost of a small document. The
 * bytes depend only on the font and the ordered glyph list, so: seed every subset with the base glyphs
 * in a fixed order, and cache the compressed font file by glyph list.
 */
function reuseSubsets(pdfFont: PDFFont, f: BuiltinFont, s: Shared): void {
  type Embedder = {
    subset?: { glyphs: number[]; includeGlyph(g: number): number };
    glyphs?: unknown[];
    glyphCache?: { access(): unknown[]; invalidate(): void };
    serializeFont(): Promise<Uint8Array>;
    embedFontStream?: (context: PDFContext) => Promise<PDFRef>;
  };
  const embedder = (pdfFont as unknown as { embedder: Embedder }).embedder;
  const subset = embedder.subset;
  const used = embedder.glyphs;
  if (!subset || !Array.isArray(subset.glyphs) || !Array.isArray(used) || typeof embedder.embedFontStream !== "function") return;
  for (const gid of s.baseGlyphs) subset.includeGlyph(gid);
  // widths and ToUnicode cover the glyphs the text used; skip the seeded ones it did not use
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

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}
