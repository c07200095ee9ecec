// The fonts of one document: which glyphs each face draws, then one Type0/CID font per face with a
// subset of exactly those glyphs, their widths and a ToUnicode map. Encoded subsets are cached by
// face and glyph set, so a run of documents with the same glyphs deflates each font once.
import { PDFHexString, PDFString, type PDFContext, type PDFRef } from "pdf-lib";
import type { FontFace } from "./font-face.ts";
import { zlibDeflate } from "./native-deflate.ts";
import { trueTypeSubset } from "./subset.ts";

interface Used {
  face: FontFace;
  ref: PDFRef;
  /** gid -> text it stands for (first seen wins) */
  glyphs: Map<number, string>;
  /** original gid -> the subset's gid (set by finish()) */
  map?: Map<number, number>;
}

/** Encoded (deflated) subset font files by face and glyph set; least recently used dropped. */
const subsetCache = new Map<string, { bytes: Uint8Array; map: Map<number, number> }>();
const SUBSET_CACHE_ENTRIES = 256;

/** Empties the subset cache (tests compare cached and fresh output; the benchmark measures without it). */
export function clearSubsetCache(): void {
  subsetCache.clear();
}

/** How many encoded subsets are cached (tests: the warm-up leaves none behind). */
export function subsetCacheSize(): number {
  return subsetCache.size;
}

/** Fonts used by one document. Call `use` for every glyph, then `finish` once, then `gid` while writing content. */
export class DocFonts {
  #context: PDFContext;
  #used = new Map<FontFace, Used>();

  constructor(context: PDFContext) {
    this.#context = context;
  }

  /** The font's reference (allocated on first use) for page resources. */
  ref(face: FontFace): PDFRef {
    return this.#entry(face).ref;
  }

  /** Records that `gid` of `face` is drawn, standing for `text`. */
  use(face: FontFace, gid: number, text: string): void {
    const g = this.#entry(face).glyphs;
    const had = g.get(gid);
    if (had === undefined || (had === "" && text !== "")) g.set(gid, text);
  }

  /** The glyph id to write in the content stream: its id in the document's subset. */
  gid(face: FontFace, gid: number): number {
    const map = this.#used.get(face)?.map;
    if (!map) throw new Error("DocFonts.gid() before finish()");
    return map.get(gid) ?? 0;
  }

  #entry(face: FontFace): Used {
    let u = this.#used.get(face);
    if (!u) this.#used.set(face, (u = { face, ref: this.#context.nextRef(), glyphs: new Map() }));
    return u;
  }

  /** Builds the subsets and writes every font's objects. */
  async finish(): Promise<void> {
    for (const u of this.#used.values()) await this.#write(u);
  }

  async #write(u: Used): Promise<void> {
    const { face } = u;
    const ctx = this.#context;
    const gids = [...u.glyphs.keys()].sort((a, b) => a - b);
    const key = `${face.key}:${gids.join(",")}`;
    let sub = subsetCache.get(key);
    if (sub) subsetCache.delete(key);
    else {
      if (face.outlines === "truetype") {
        const t = trueTypeSubset(face, gids);
        sub = { bytes: zlibDeflate(t.bytes), map: t.map };
      } else sub = await cffSubset(face, gids);
      subsetCache.set(key, sub);
      if (subsetCache.size > SUBSET_CACHE_ENTRIES) subsetCache.delete(subsetCache.keys().next().value!);
    }
    u.map = sub.map;
    const map = sub.map;
    const cid = (g: number) => map.get(g) ?? 0;

    const scale = 1000 / face.upem;
    const r = (n: number) => Math.round(n * scale);
    // subset tag: six capitals from the glyph set, so different subsets of one font get different names
    let h = 0;
    for (const c of key) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
    const tag = Array.from({ length: 6 }, (_, i) => String.fromCharCode(65 + (Math.floor(h / 26 ** i) % 26))).join("");
    const baseFont = `${tag}+${face.psName}`;

    const fileRef = ctx.register(
      ctx.stream(sub.bytes, face.outlines === "truetype" ? { Filter: "FlateDecode" } : { Filter: "FlateDecode", Subtype: "CIDFontType0C" }),
    );
    const descriptor = ctx.register(
      ctx.obj({
        Type: "FontDescriptor",
        FontName: baseFont,
        Flags: 4,
        FontBBox: face.bbox.map(r),
        ItalicAngle: 0,
        Ascent: r(face.ascender),
        Descent: r(face.descender),
        CapHeight: r(face.ascender),
        StemV: 80,
        [face.outlines === "truetype" ? "FontFile2" : "FontFile3"]: fileRef,
      }),
    );
    // widths, grouped into runs of consecutive ids: [c [w1 w2 ...] ...]
    const w: (number | number[])[] = [];
    let prev = -2;
    for (const g of gids) {
      const c = cid(g);
      const width = r(face.advance(g));
      if (c === prev + 1) (w[w.length - 1] as number[]).push(width);
      else w.push(c, [width]);
      prev = c;
    }
    const cidFont = ctx.register(
      ctx.obj({
        Type: "Font",
        Subtype: face.outlines === "truetype" ? "CIDFontType2" : "CIDFontType0",
        BaseFont: baseFont,
        CIDSystemInfo: { Registry: PDFString.of("Adobe"), Ordering: PDFString.of("Identity"), Supplement: 0 },
        FontDescriptor: descriptor,
        W: w,
        ...(face.outlines === "truetype" ? { CIDToGIDMap: "Identity" } : {}),
      }),
    );
    const toUnicode = ctx.register(ctx.flateStream(new TextEncoder().encode(toUnicodeCMap(gids.map((g) => [cid(g), u.glyphs.get(g)!])))));
    ctx.assign(
      u.ref,
      ctx.obj({
        Type: "Font",
        Subtype: "Type0",
        BaseFont: baseFont,
        Encoding: "Identity-H",
        DescendantFonts: [cidFont],
        ToUnicode: toUnicode,
      }),
    );
  }
}

/** A CFF (.otf) font's subset by fontkit: a bare CFF program with renumbered glyphs. */
async function cffSubset(face: FontFace, gids: number[]): Promise<{ bytes: Uint8Array; map: Map<number, number> }> {
  // fontkit is loaded on first use (see builtinFontkit in fonts.ts)
  const font = (await import("@pdf-lib/fontkit")).default.create(face.bytes as unknown as Buffer);
  const subset = font.createSubset() as unknown as { includeGlyph(g: number): number; encodeStream(): NodeJS.ReadableStream };
  const map = new Map<number, number>([[0, 0]]);
  for (const g of gids) map.set(g, subset.includeGlyph(g));
  const parts: Uint8Array[] = [];
  await new Promise<void>((resolve, reject) =>
    subset.encodeStream().on("data", (b: Uint8Array) => parts.push(b)).on("end", () => resolve()).on("error", reject),
  );
  const total = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    total.set(p, o);
    o += p.length;
  }
  return { bytes: zlibDeflate(total), map };
}

/** A ToUnicode CMap from (cid, text) pairs; glyphs that stand for no text of their own are left out. */
export function toUnicodeCMap(pairs: [number, string][]): string {
  const hex4 = (n: number) => (n < 0x1000 ? (n < 0x100 ? (n < 0x10 ? "000" : "00") : "0") : "") + n.toString(16);
  const utf16 = (s: string) => {
    let h = "";
    for (let i = 0; i < s.length; i++) h += hex4(s.charCodeAt(i));
    return h;
  };
  const entries = pairs.filter(([, t]) => t !== "" && t !== undefined).map(([c, t]) => `<${hex4(c)}> <${utf16(t)}>`);
  let body = "";
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    body += `${chunk.length} beginbfchar\n${chunk.join("\n")}\nendbfchar\n`;
  }
  return (
    "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
    "1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n" +
    body +
    "endcmap\nCMapName currentdict /CIDInit /ProcSet findresource pop end\nend\n"
  );
}

/** Text as a PDF hex string in UTF-16BE with a byte order mark (for ActualText). */
export function utf16Hex(text: string): PDFHexString {
  let h = "FEFF";
  for (let i = 0; i < text.length; i++) h += text.charCodeAt(i).toString(16).padStart(4, "0");
  return PDFHexString.of(h);
}
