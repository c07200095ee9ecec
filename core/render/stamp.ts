// Writes a render plan's text onto the pages: one content stream per page, built as text. pdf-lib's
// drawText builds an object per operator and number, which cost more than everything else per document.
import type { PDFDocument, PDFFont } from "pdf-lib";
import { pageBox } from "./base-pdf.ts";
import type { FontName } from "./layout.ts";
import type { DrawOp } from "./plan.ts";

/** Stamps every op onto its page (ops' `page` indexes `doc.getPages()`). */
export function stampText(doc: PDFDocument, ops: DrawOp[], font: (name: FontName) => PDFFont): void {
  const pages = doc.getPages();
  const byPage = new Map<number, DrawOp[]>();
  for (const op of ops) {
    let list = byPage.get(op.page);
    if (!list) byPage.set(op.page, (list = []));
    list.push(op);
  }
  for (const [index, list] of byPage) {
    const page = pages[index];
    const box = pageBox(page);
    const keys = new Map<FontName, string>();
    let out = "";
    for (const op of list) {
      let key = keys.get(op.font);
      if (!key) {
        const f = font(op.font);
        // newFontDictionary also normalises the page: existing content is wrapped in q/Q first
        key = page.node.newFontDictionary(f.name, f.ref).asString();
        keys.set(op.font, key);
      }
      const hex = font(op.font).encodeText(op.text).toString();
      const [r, g, b] = op.color;
      out += `BT\n${key} ${num(op.size)} Tf\n${num(r)} ${num(g)} ${num(b)} rg\n1 0 0 1 ${num(box.x + op.x)} ${num(box.y + box.height - op.baseline)} Tm\n${hex} Tj\nET\n`;
    }
    const stream = doc.context.flateStream(new TextEncoder().encode(`q\n${out}Q\n`));
    page.node.addContentStream(doc.context.register(stream));
  }
}

/** A number as PDF writes it: at most 3 decimals, never exponent notation. */
function num(n: number): string {
  const r = Math.round(n * 1000) / 1000;
  return Object.is(r, -0) ? "0" : String(r);
}
