// Fonts: the built-in DejaVu faces (inside the binary), fonts stored with a template, and the metrics
// and shaping the layout uses for a field's font (one name, or a list tried in order per character).
// Bun's `with { type: "file" }` embeds each file in a compiled binary; the path then points inside it.
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import type fontkit from "@pdf-lib/fontkit";
import sansPath from "./fonts/DejaVuSans.ttf" with { type: "file" };
import sansBoldPath from "./fonts/DejaVuSans-Bold.ttf" with { type: "file" };
import monoPath from "./fonts/DejaVuSansMono.ttf" with { type: "file" };
import { FontFace } from "./font-face.ts";
import { loadHarfBuzz } from "./harfbuzz.ts";
import { BUILTIN_FONTS, type BuiltinFontName, type FontSpec } from "./layout.ts";
import { lineWidth, shapeLine, type ShapedLine } from "./shape.ts";
import type { FontMetrics } from "./text.ts";

// Absolute from source and inside the compiled binary (/$bunfs/...); relative to this module in the npm
// package's bundle (dist/pkg), where the font files sit beside the bundles.
const located = (p: string) => (isAbsolute(p) ? p : fileURLToPath(new URL(p, import.meta.url)));

const FILES: Record<BuiltinFontName, { path: string; family: string }> = {
  sans: { path: located(sansPath), family: "DejaVu Sans" },
  "sans-bold": { path: located(sansBoldPath), family: "DejaVu Sans Bold" },
  mono: { path: located(monoPath), family: "DejaVu Sans Mono" },
};

const builtins = new Map<BuiltinFontName, FontFace>();

/** Loads HarfBuzz and reads every built-in font once per process (some ms); later calls are free. */
export async function loadFonts(): Promise<void> {
  await loadHarfBuzz();
  for (const name of BUILTIN_FONTS) {
    if (builtins.has(name)) continue;
    const bytes = await Bun.file(FILES[name].path).bytes();
    builtins.set(name, new FontFace(`builtin:${name}`, FILES[name].family, bytes));
  }
}

/** A built-in face; loadFonts() must have run. */
export function builtinFace(name: BuiltinFontName): FontFace {
  const f = builtins.get(name);
  if (!f) throw new Error(`font ${name} is not loaded: call loadFonts() first`);
  return f;
}

/** Where a built-in font's file is read from: a `/$bunfs/...` path inside a compiled binary. */
export function fontFile(name: BuiltinFontName): string {
  return FILES[name].path;
}

const fontkitFonts = new Map<BuiltinFontName, { bytes: Uint8Array; font: fontkit.Font }>();

/**
 * A built-in font parsed by fontkit, for pdf-lib's form appearances (form filling only). fontkit is
 * loaded on first use: importing it costs over 100 ms (it unpacks Brotli tables), which every CLI
 * command and worker start would otherwise pay.
 */
export async function builtinFontkit(name: BuiltinFontName): Promise<{ name: BuiltinFontName; bytes: Uint8Array; font: fontkit.Font }> {
  let f = fontkitFonts.get(name);
  if (!f) {
    const fk = (await import("@pdf-lib/fontkit")).default;
    const bytes = builtinFace(name).bytes;
    f = { bytes, font: fk.create(bytes as unknown as Buffer) };
    fontkitFonts.set(name, f);
  }
  return { name, ...f };
}

/** The fontkit built-in fonts parsed so far (form filling hands pdf-lib these instead of new parses). */
export function parsedBuiltinFontkit(bytes: Uint8Array): fontkit.Font | undefined {
  for (const f of fontkitFonts.values()) if (f.bytes === bytes) return f.font;
  return undefined;
}

/** A font a template carries: the name its layout uses and the file. */
export interface TemplateFont {
  name: string;
  bytes: Uint8Array;
  /** file name, for messages */
  source?: string;
}

/** Parsed template fonts by content digest: a template version's fonts are parsed once per proc. */
const parsed = new Map<string, FontFace>();
const PARSED_ENTRIES = 32;

/** Parses (or finds parsed) a template's font; throws Error with a message naming the file when it is not a usable font. */
export function templateFace(f: TemplateFont): FontFace {
  const key = `sha256:${new Bun.CryptoHasher("sha256").update(f.bytes).digest("hex")}`;
  let face = parsed.get(key);
  if (face) {
    parsed.delete(key);
    parsed.set(key, face);
    return face;
  }
  face = new FontFace(key, f.source ?? f.name, f.bytes);
  parsed.set(key, face);
  if (parsed.size > PARSED_ENTRIES) parsed.delete(parsed.keys().next().value!);
  return face;
}

/** The fonts a layout can name: the built-ins and the template's own. */
export class FontSet {
  #faces = new Map<string, FontFace>();
  #metrics = new Map<string, FontMetrics>();

  /** `fonts`: the template's fonts (their names may not shadow built-ins); loadFonts() must have run. */
  constructor(fonts: TemplateFont[] = []) {
    for (const n of BUILTIN_FONTS) this.#faces.set(n, builtinFace(n));
    for (const f of fonts) this.#faces.set(f.name, templateFace(f));
  }

  /** Every name a layout may use. */
  names(): string[] {
    return [...this.#faces.keys()];
  }

  face(name: string): FontFace {
    const f = this.#faces.get(name);
    if (!f) throw new Error(`unknown font ${JSON.stringify(name)}`);
    return f;
  }

  #stack(spec: FontSpec): { stack: FontFace[]; builtin: boolean; label: string } {
    const names = typeof spec === "string" ? [spec] : spec;
    return {
      stack: names.map((n) => this.face(n)),
      builtin: (BUILTIN_FONTS as readonly string[]).includes(names[0]),
      label: names.map((n) => this.face(n).family).join(", "),
    };
  }

  /** Shapes one line of text in a field's font(s). */
  shape(text: string, spec: FontSpec): ShapedLine {
    const { stack, builtin } = this.#stack(spec);
    return shapeLine(text, stack, builtin);
  }

  /** Metrics for the layout (wrapping, shrinking, alignment) of a field's font(s). */
  metrics(spec: FontSpec): FontMetrics {
    const key = typeof spec === "string" ? spec : spec.join("\u0000");
    let m = this.#metrics.get(key);
    if (m) return m;
    const { stack, builtin, label } = this.#stack(spec);
    const head = stack[0];
    m = {
      family: label,
      ascent: head.ascender / head.upem,
      width: (text) => lineWidth(text, stack, builtin),
      missing(text) {
        const out: string[] = [];
        for (let i = 0; i < text.length; i++) {
          const cp = text.codePointAt(i)!;
          if (cp > 0xffff) i++;
          if (cp === 0x0a || head.has(cp) || stack.some((f) => f.has(cp))) continue;
          const ch = String.fromCodePoint(cp);
          // format characters (bidi marks, joiners, variation selectors) need no glyph of their own
          if (/\p{Cf}|\p{Variation_Selector}/u.test(ch)) continue;
          if (!out.includes(ch)) out.push(ch);
        }
        return out;
      },
    };
    this.#metrics.set(key, m);
    return m;
  }
}

let builtinSet: FontSet | null = null;

/** The built-in fonts alone (templates without fonts of their own). */
export function builtinFontSet(): FontSet {
  builtinSet ??= new FontSet();
  return builtinSet;
}

/** Metrics of a built-in font; loadFonts() must have run. */
export function fontMetrics(name: BuiltinFontName): FontMetrics {
  return builtinFontSet().metrics(name);
}
