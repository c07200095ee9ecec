// Per-document TrueType subsets, built from glyph data the parsed font already holds: the glyphs a
// document uses, renumbered in order, with their metrics and the hinting tables. Copying a hundred
// glyph records is far cheaper than a general subsetter (fontkit's re-encodes every glyph), so each
// document can carry only its own glyphs instead of a shared, larger subset.
import type { FontFace } from "./font-face.ts";

/** Glyph ids of composite glyphs' components, per font (parsed once). */
const components = new WeakMap<FontFace, Map<number, number[]>>();

function componentsOf(face: FontFace, gid: number): number[] {
  let m = components.get(face);
  if (!m) components.set(face, (m = new Map()));
  let c = m.get(gid);
  if (c) return c;
  c = [];
  const g = face.glyphData(gid);
  if (g.length >= 10) {
    const v = new DataView(g.buffer, g.byteOffset, g.byteLength);
    if (v.getInt16(0) < 0) {
      let p = 10;
      for (;;) {
        if (p + 4 > g.length) break;
        const flags = v.getUint16(p);
        c.push(v.getUint16(p + 2));
        p += 4 + (flags & 0x0001 ? 4 : 2);
        if (flags & 0x0008) p += 2;
        else if (flags & 0x0040) p += 4;
        else if (flags & 0x0080) p += 8;
        if (!(flags & 0x0020)) break;
      }
    }
  }
  m.set(gid, c);
  return c;
}

/** The used glyphs plus .notdef and every component of a composite glyph, sorted. */
export function glyphClosure(face: FontFace, gids: Iterable<number>): number[] {
  const all = new Set<number>([0]);
  const todo = [...gids];
  while (todo.length) {
    const g = todo.pop()!;
    if (all.has(g) && g !== 0) continue;
    all.add(g);
    for (const c of componentsOf(face, g)) if (!all.has(c)) todo.push(c);
  }
  return [...all].filter((g) => g < face.numGlyphs).sort((a, b) => a - b);
}

/**
 * A TrueType font file holding only `gids` (plus .notdef and components), renumbered 0..n-1 in id
 * order; `map` gives each original id its new one (composite glyphs' component ids are rewritten).
 */
export function trueTypeSubset(face: FontFace, gids: Iterable<number>): { bytes: Uint8Array; map: Map<number, number> } {
  const used = glyphClosure(face, gids);
  const n = used.length;
  const map = new Map<number, number>();
  used.forEach((g, i) => map.set(g, i));

  // glyf + loca (long offsets)
  const data = used.map((g) => face.glyphData(g));
  let glyfLen = 0;
  for (const d of data) glyfLen += (d.length + 3) & ~3;
  const glyf = new Uint8Array(glyfLen);
  const loca = new Uint8Array((n + 1) * 4);
  const lv = new DataView(loca.buffer);
  let off = 0;
  for (let i = 0; i < n; i++) {
    lv.setUint32(i * 4, off);
    const d = data[i];
    glyf.set(d, off);
    if (componentsOf(face, used[i]).length) renumberComponents(glyf, off, d.length, map);
    off += (d.length + 3) & ~3;
  }
  lv.setUint32(n * 4, off);

  // hmtx: a full metric per glyph
  const hmtx = new Uint8Array(n * 4);
  const hv = new DataView(hmtx.buffer);
  const src = face.table("hmtx")!;
  const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const hheaSrc = face.table("hhea")!;
  const nMetrics = new DataView(hheaSrc.buffer, hheaSrc.byteOffset, hheaSrc.byteLength).getUint16(34);
  used.forEach((g, i) => {
    const adv = sv.getUint16(Math.min(g, nMetrics - 1) * 4);
    const lsbAt = g < nMetrics ? g * 4 + 2 : 4 * nMetrics + (g - nMetrics) * 2;
    hv.setUint16(i * 4, adv);
    hv.setInt16(i * 4 + 2, lsbAt + 2 <= src.length ? sv.getInt16(lsbAt) : 0);
  });

  const head = face.table("head")!.slice();
  const headV = new DataView(head.buffer);
  headV.setUint32(8, 0); // checkSumAdjustment: not checked by PDF readers
  headV.setInt16(50, 1); // long loca
  const hhea = hheaSrc.slice();
  new DataView(hhea.buffer).setUint16(34, n);
  const maxp = face.table("maxp")!.slice();
  new DataView(maxp.buffer).setUint16(4, n);

  const tables: [string, Uint8Array][] = [
    ["cvt ", face.table("cvt ")],
    ["fpgm", face.table("fpgm")],
    ["glyf", glyf],
    ["head", head],
    ["hhea", hhea],
    ["hmtx", hmtx],
    ["loca", loca],
    ["maxp", maxp],
    ["prep", face.table("prep")],
  ].filter((t): t is [string, Uint8Array] => t[1] !== undefined);
  return { bytes: writeFont(tables), map };
}

/** Rewrites the component glyph ids of a composite glyph copied to `glyf[off..off+len)`. */
function renumberComponents(glyf: Uint8Array, off: number, len: number, map: Map<number, number>): void {
  const v = new DataView(glyf.buffer, glyf.byteOffset + off, len);
  let p = 10;
  for (;;) {
    if (p + 4 > len) break;
    const flags = v.getUint16(p);
    v.setUint16(p + 2, map.get(v.getUint16(p + 2)) ?? 0);
    p += 4 + (flags & 0x0001 ? 4 : 2);
    if (flags & 0x0008) p += 2;
    else if (flags & 0x0040) p += 4;
    else if (flags & 0x0080) p += 8;
    if (!(flags & 0x0020)) break;
  }
}

/** An sfnt file from tables (tags sorted). */
function writeFont(tables: [string, Uint8Array][]): Uint8Array {
  const n = tables.length;
  let size = 12 + n * 16;
  for (const [, t] of tables) size += (t.length + 3) & ~3;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let sel = 1;
  while (sel * 2 <= n) sel *= 2;
  v.setUint32(0, 0x00010000);
  v.setUint16(4, n);
  v.setUint16(6, sel * 16);
  v.setUint16(8, Math.log2(sel));
  v.setUint16(10, n * 16 - sel * 16);
  let off = 12 + n * 16;
  tables.forEach(([tag, data], i) => {
    const p = 12 + i * 16;
    for (let k = 0; k < 4; k++) out[p + k] = tag.charCodeAt(k);
    out.set(data, off);
    v.setUint32(p + 4, checksum(out, off, data.length));
    v.setUint32(p + 8, off);
    v.setUint32(p + 12, data.length);
    off += (data.length + 3) & ~3;
  });
  return out;
}

function checksum(b: Uint8Array, off: number, len: number): number {
  const v = new DataView(b.buffer, b.byteOffset);
  let sum = 0;
  const end = off + ((len + 3) & ~3);
  for (let p = off; p < end; p += 4) sum = (sum + v.getUint32(p)) >>> 0;
  return sum;
}
