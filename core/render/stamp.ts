// Writes a render plan onto the pages: one content stream per page, built as text (pdf-lib's drawText
// builds an object per operator and number, which cost more than everything else per document).
// Text is drawn glyph by glyph as shaped (fonts.ts/shape.ts); shaped lines carry their logical text as
// ActualText so text extraction reads them in logical order.
import type { PDFDocument, PDFRef } from "pdf-lib";
import { pageBox } from "./base-pdf.ts";
import type { FontSet } from "./fonts.ts";
import type { FontFace } from "./font-face.ts";
import { DocFonts, utf16Hex } from "./pdf-font.ts";
import type { GraphicOp, Rotation, TextOp } from "./plan.ts";
import type { ShapedLine } from "./shape.ts";

/** What drawing needs besides text: images and codes become content of their own (image.ts, codes.ts). */
export interface GraphicsWriter {
  /** content stream text for a non-text op, in PDF coordinates of the page (origin bottom-left); may register XObjects */
  draw(op: GraphicOp, page: { xobject(ref: PDFRef): string; font(face: FontFace): string }, box: { x: number; y: number; height: number }): Promise<string>;
}

/** Stamps every op onto its page (ops' `page` indexes `doc.getPages()`): graphics first, text over them. */
export async function stamp(doc: PDFDocument, ops: TextOp[], others: GraphicOp[], fonts: FontSet, graphics?: GraphicsWriter): Promise<void> {
  const pages = doc.getPages();
  const docFonts = new DocFonts(doc.context);
  // pass 1: shape every line and record the glyphs each font draws
  const shaped = new Map<TextOp, ShapedLine>();
  for (const op of ops) {
    const line = fonts.shape(op.text, op.font);
    shaped.set(op, line);
    for (const run of line.runs) for (let i = 0; i < run.gids.length; i++) docFonts.use(run.face, run.gids[i], run.chars[i]);
  }
  await docFonts.finish();
  const byPage = new Map<number, (TextOp | GraphicOp)[]>();
  for (const op of [...others, ...ops]) {
    let list = byPage.get(op.page);
    if (!list) byPage.set(op.page, (list = []));
    list.push(op);
  }
  for (const [index, list] of byPage) {
    const page = pages[index];
    const box = pageBox(page);
    const fontKeys = new Map<FontFace, string>();
    const fontKey = (face: FontFace) => {
      let key = fontKeys.get(face);
      if (!key) {
        // newFontDictionary also normalises the page: existing content is wrapped in q/Q first
        key = page.node.newFontDictionary("F", docFonts.ref(face)).asString();
        fontKeys.set(face, key);
      }
      return key;
    };
    const res = { font: fontKey, xobject: (ref: PDFRef) => page.node.newXObject("Im", ref).asString() };
    let out = "";
    for (const op of list) {
      let drawn = "";
      if (op.kind === undefined || op.kind === "text") drawn = textOp(op as TextOp, shaped.get(op as TextOp)!, box, fontKey, docFonts);
      else if (graphics) drawn = await graphics.draw(op as GraphicOp, res, box);
      out += op.rot ? `q\n${rotationMatrix(op.rot, box)} cm\n${drawn}Q\n` : drawn;
    }
    const stream = doc.context.flateStream(new TextEncoder().encode(`q\n${out}Q\n`));
    page.node.addContentStream(doc.context.register(stream));
  }
}

function textOp(op: TextOp, line: ShapedLine, box: { x: number; y: number; height: number }, fontKey: (f: FontFace) => string, fonts: DocFonts): string {
  const [r, g, b] = op.color;
  const y0 = box.y + box.height - op.baseline;
  let out = `BT\n${num(r)} ${num(g)} ${num(b)} rg\n`;
  let pen = box.x + op.x;
  const stretch = op.wordSpacing ?? 0;
  for (const run of line.runs) {
    const k = op.size / run.face.upem;
    // Shaped left-to-right runs (Devanagari's reordered vowel signs, ligatures) carry their text as
    // ActualText. Right-to-left runs do not: extractors put RTL glyphs back in logical order themselves,
    // and poppler would reverse an ActualText too (see GlyphRun.chars).
    const actual = line.shaped && !run.rtl;
    if (actual) out += `/Span <</ActualText ${utf16Hex(run.text).toString()}>> BDC\n`;
    out += `${fontKey(run.face)} ${num(op.size)} Tf\n`;
    // one TJ per stretch of glyphs without offsets; advances that differ from the font's widths (kerning,
    // marks) become TJ adjustments, in thousandths of the size
    let tj = "";
    let start = pen;
    let expected = pen; // where the PDF's own advances put the next glyph
    const flush = () => {
      if (tj) out += `1 0 0 1 ${num(start)} ${num(y0)} Tm\n[${tj}] TJ\n`;
      tj = "";
    };
    for (let i = 0; i < run.gids.length; i++) {
      const gid = fonts.gid(run.face, run.gids[i]);
      const hex = gid.toString(16).padStart(4, "0");
      const natural = run.face.advance(run.gids[i]) * k;
      if (run.dx[i] !== 0 || run.dy[i] !== 0) {
        flush();
        out += `1 0 0 1 ${num(pen + run.dx[i] * k)} ${num(y0 + run.dy[i] * k)} Tm\n<${hex}> Tj\n`;
        pen += run.adv[i] * k + (stretch && run.chars[i] === " " ? stretch : 0);
        start = expected = pen;
        continue;
      }
      if (!tj) start = expected = pen;
      else if (Math.abs(expected - pen) > 1e-6) tj += ` ${num(((expected - pen) / op.size) * 1000)} `;
      tj += `<${hex}>`;
      expected = pen + natural;
      // justified lines: each space advances further (a TJ adjustment before the next glyph)
      pen += run.adv[i] * k + (stretch && run.chars[i] === " " ? stretch : 0);
    }
    flush();
    if (actual) out += "EMC\n";
  }
  return `${out}ET\n`;
}

/**
 * The `cm` operands turning a field clockwise about its box's top-left corner P, then moving it so the
 * turned box's top-left is P again (PDF space: y grows upwards, so clockwise is a negative angle).
 */
export function rotationMatrix(rot: Rotation, box: { x: number; y: number; height: number }): string {
  const px = box.x + rot.x;
  const py = box.y + box.height - rot.y;
  const [a, b, c, d, tx, ty] =
    rot.angle === 90 ? [0, -1, 1, 0, rot.h, 0] : rot.angle === 180 ? [-1, 0, 0, -1, rot.w, -rot.h] : [0, 1, -1, 0, 0, -rot.w];
  const e = px + tx - (a * px + c * py);
  const f = py + ty - (b * px + d * py);
  return [a, b, c, d, e, f].map(num).join(" ");
}

/** A number as PDF writes it: at most 3 decimals, never exponent notation. */
export function num(n: number): string {
  const r = Math.round(n * 1000) / 1000;
  return Object.is(r, -0) ? "0" : String(r);
}
