// The built-in fonts (DejaVu, shipped inside the binary): loading them once per process, and their metrics.
import fontkit from "@pdf-lib/fontkit";
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

/** A built-in font, parsed once per process. */
export interface BuiltinFont {
  name: FontName;
  bytes: Uint8Array;
  /** the one fontkit instance every document's embedding shares (see font-embed.ts) */
  font: fontkit.Font;
  metrics: FontMetrics;
}

const loaded = new Map<FontName, BuiltinFont>();

/** Reads every built-in font once per process (a few ms); later calls are free. */
export async function loadFonts(): Promise<void> {
  for (const name of Object.keys(FILES) as FontName[]) {
    if (loaded.has(name)) continue;
    const bytes = await Bun.file(FILES[name].path).bytes();
    loaded.set(name, parse(name, bytes));
  }
}

function parse(name: FontName, bytes: Uint8Array): BuiltinFont {
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
    // Widths come from a plain character-to-glyph lookup, exactly as font-embed.ts encodes text.
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
  return { name, bytes, font, metrics };
}

/** A loaded built-in font; loadFonts() must have run. */
export function builtinFont(name: FontName): BuiltinFont {
  const f = loaded.get(name);
  if (!f) throw new Error(`font ${name} is not loaded: call loadFonts() first`);
  return f;
}

/** The built-in font whose file is exactly these bytes, if any. */
export function builtinFontByBytes(bytes: Uint8Array): BuiltinFont | undefined {
  for (const f of loaded.values()) if (f.bytes === bytes) return f;
  return undefined;
}

/** Where a built-in font's file is read from: a `/$bunfs/...` path inside a compiled binary. */
export function fontFile(name: FontName): string {
  return FILES[name].path;
}

/** Metrics of a built-in font; loadFonts() must have run. */
export function fontMetrics(name: FontName): FontMetrics {
  return builtinFont(name).metrics;
}
