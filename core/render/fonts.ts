// The built-in fonts (DejaVu, shipped inside the binary), their metrics, and embedding them into a PDF.
import fontkit from "@pdf-lib/fontkit";
import type { PDFDocument, PDFFont } from "pdf-lib";
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
  bytes: Uint8Array;
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
  return { bytes, font, metrics };
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
 * Embeds a built-in font as a subset. Text is encoded by a plain character-to-glyph lookup instead of
 * fontkit's full shaping: Latin, Greek and Cyrillic need no shaping once NFC-normalised, widths then
 * match fontMetrics() exactly, and drawing gets about twice as fast. This replaces `layout` on the
 * embedder's private fontkit instance (pdf-lib 1.17 CustomFontSubsetEmbedder reads `this.font.layout`).
 */
export async function embedFont(doc: PDFDocument, name: FontName): Promise<PDFFont> {
  const f = loaded.get(name);
  if (!f) throw new Error(`font ${name} is not loaded: call loadFonts() first`);
  doc.registerFontkit(fontkit);
  const pdfFont = await doc.embedFont(f.bytes, { subset: true });
  const inner = (pdfFont as unknown as { embedder?: { font?: fontkit.Font } }).embedder?.font as
    | (Omit<fontkit.Font, "layout"> & { layout: (text: string) => { glyphs: fontkit.Glyph[] } })
    | undefined;
  if (inner && typeof inner.glyphForCodePoint === "function") {
    const glyphCache = new Map<number, fontkit.Glyph>();
    inner.layout = (text: string) => ({
      glyphs: Array.from(text, (ch) => {
        const cp = ch.codePointAt(0)!;
        let g = glyphCache.get(cp);
        if (!g) {
          g = inner.glyphForCodePoint(cp);
          glyphCache.set(cp, g);
        }
        return g;
      }),
    });
  }
  return pdfFont;
}
