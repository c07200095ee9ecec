// One font file, parsed once per process: its tables, character map and advances (through HarfBuzz),
// and the glyph data per-document subsets are built from (see subset.ts).
import { harfbuzz } from "./harfbuzz.ts";
import type { Font as HbFont } from "harfbuzzjs";

/** A parsed font: a built-in DejaVu face or a font stored with a template. */
export class FontFace {
  /** unique per font file: "builtin:sans", or "sha256:<hex>" of the file */
  readonly key: string;
  /** human name for messages ("DejaVu Sans", "NotoSansArabic-Regular.ttf") */
  readonly family: string;
  /** PostScript-safe name for the PDF's BaseFont */
  readonly psName: string;
  readonly bytes: Uint8Array;
  readonly upem: number;
  /** ascender and descender (negative) in font units */
  readonly ascender: number;
  readonly descender: number;
  /** bounding box in font units: xMin, yMin, xMax, yMax */
  readonly bbox: [number, number, number, number];
  /** "truetype" (glyf outlines, subset here) or "cff" (CFF outlines, subset with fontkit) */
  readonly outlines: "truetype" | "cff";
  readonly numGlyphs: number;
  readonly hb: HbFont;
  /** table tag -> [offset, length] in `bytes` */
  readonly tables: Map<string, [number, number]>;
  #gid = new Map<number, number>();
  #adv = new Map<number, number>();
  #view: DataView;
  #loca: number[] | null = null;

  constructor(key: string, family: string, bytes: Uint8Array) {
    this.key = key;
    this.family = family;
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.tables = readDirectory(this.#view, family);
    for (const t of ["head", "hhea", "hmtx", "maxp"])
      if (!this.tables.has(t)) throw new Error(`${family} is not a usable font: it has no "${t}" table`);
    if (this.tables.has("glyf") && this.tables.has("loca")) this.outlines = "truetype";
    else if (this.tables.has("CFF ")) this.outlines = "cff";
    else throw new Error(`${family} has neither TrueType (glyf) nor CFF outlines`);
    const head = this.tables.get("head")![0];
    this.upem = this.#view.getUint16(head + 18);
    this.bbox = [this.#view.getInt16(head + 36), this.#view.getInt16(head + 38), this.#view.getInt16(head + 40), this.#view.getInt16(head + 42)];
    const hhea = this.tables.get("hhea")![0];
    this.ascender = this.#view.getInt16(hhea + 4);
    this.descender = this.#view.getInt16(hhea + 6);
    this.numGlyphs = this.#view.getUint16(this.tables.get("maxp")![0] + 4);
    const hb = harfbuzz();
    this.hb = new hb.Font(new hb.Face(new hb.Blob(bytes.slice().buffer as ArrayBuffer), 0));
    this.psName = family.replace(/\.(ttf|otf)$/i, "").replace(/[^A-Za-z0-9-]/g, "") || "Font";
  }

  /** Glyph id for a code point, 0 when the font has none. */
  glyph(cp: number): number {
    let g = this.#gid.get(cp);
    if (g === undefined) {
      g = this.hb.nominalGlyph(cp) ?? 0;
      this.#gid.set(cp, g);
    }
    return g;
  }

  has(cp: number): boolean {
    return this.glyph(cp) !== 0;
  }

  /** Advance width of a glyph in font units. */
  advance(gid: number): number {
    let a = this.#adv.get(gid);
    if (a === undefined) {
      a = this.hb.glyphHAdvance(gid);
      this.#adv.set(gid, a);
    }
    return a;
  }

  /** The raw bytes of a table, or undefined. */
  table(tag: string): Uint8Array | undefined {
    const t = this.tables.get(tag);
    return t ? this.bytes.subarray(t[0], t[0] + t[1]) : undefined;
  }

  /** A TrueType glyph's outline bytes (empty for a glyph with no outline). */
  glyphData(gid: number): Uint8Array {
    if (!this.#loca) this.#loca = readLoca(this.#view, this.tables, this.numGlyphs);
    const glyf = this.tables.get("glyf")![0];
    const start = this.#loca[gid];
    const end = this.#loca[gid + 1];
    if (start === undefined || end === undefined || end <= start) return new Uint8Array(0);
    return this.bytes.subarray(glyf + start, glyf + end);
  }
}

function readDirectory(view: DataView, family: string): Map<string, [number, number]> {
  const tables = new Map<string, [number, number]>();
  if (view.byteLength < 12) throw new Error(`${family} is not a font file (too short)`);
  const tag = view.getUint32(0);
  if (tag === 0x74746366) throw new Error(`${family} is a font collection (.ttc); give one .ttf or .otf font`);
  if (tag !== 0x00010000 && tag !== 0x4f54544f && tag !== 0x74727565) throw new Error(`${family} is not a TrueType or OpenType font (.ttf or .otf)`);
  const n = view.getUint16(4);
  if (12 + n * 16 > view.byteLength) throw new Error(`${family} is not a font file (truncated table directory)`);
  for (let i = 0; i < n; i++) {
    const p = 12 + i * 16;
    const t = String.fromCharCode(view.getUint8(p), view.getUint8(p + 1), view.getUint8(p + 2), view.getUint8(p + 3));
    const off = view.getUint32(p + 8);
    const len = view.getUint32(p + 12);
    if (off + len > view.byteLength) throw new Error(`${family} is not a font file (table "${t}" runs past the end)`);
    tables.set(t, [off, len]);
  }
  return tables;
}

function readLoca(view: DataView, tables: Map<string, [number, number]>, numGlyphs: number): number[] {
  const long = view.getInt16(tables.get("head")![0] + 50) === 1;
  const [off, len] = tables.get("loca")!;
  const out: number[] = [];
  const n = Math.min(numGlyphs + 1, Math.floor(len / (long ? 4 : 2)));
  for (let i = 0; i < n; i++) out.push(long ? view.getUint32(off + i * 4) : view.getUint16(off + i * 2) * 2);
  return out;
}
