// Loading a base PDF with precise errors (malformed, encrypted, empty) and reading its page geometry.
import { EncryptedPDFError, PDFDocument, ParseSpeeds, type PDFPage } from "pdf-lib";
import { renderError } from "./errors.ts";
import type { BaseInfo } from "./layout.ts";

/** Parses a base PDF, or throws BAD_BASE_PDF / ENCRYPTED_PDF naming `source`. */
export async function loadBasePdf(bytes: Uint8Array, source = "base PDF"): Promise<PDFDocument> {
  if (bytes.length === 0) throw renderError("BAD_BASE_PDF", `${source}: the file is empty`);
  let doc: PDFDocument;
  try {
    // parse without yielding to the event loop: bases are small, and each yield is a timer turn
    doc = await PDFDocument.load(bytes, { updateMetadata: false, parseSpeed: ParseSpeeds.Fastest });
  } catch (err) {
    if (err instanceof EncryptedPDFError || /encrypt/i.test((err as Error).message))
      throw renderError(
        "ENCRYPTED_PDF",
        `${source} is encrypted; docctl cannot stamp over it. Remove the protection first, e.g. \`qpdf --decrypt in.pdf out.pdf\``,
        { cause: err },
      );
    throw renderError("BAD_BASE_PDF", `${source} is not a readable PDF: ${(err as Error).message}`, { cause: err });
  }
  let count: number;
  try {
    count = doc.getPageCount();
  } catch (err) {
    throw renderError("BAD_BASE_PDF", `${source}: its page tree cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (count === 0) throw renderError("BAD_BASE_PDF", `${source} has no pages`);
  return doc;
}

/** The visible box of a page (crop box, else media box) in PDF units. */
export function pageBox(page: PDFPage): { x: number; y: number; width: number; height: number } {
  return page.getCropBox();
}

/** Page count and sizes, for layout validation. */
export function baseInfo(doc: PDFDocument): Required<Pick<BaseInfo, "pageCount" | "pageSizes">> {
  const pages = doc.getPages();
  return { pageCount: pages.length, pageSizes: pages.map((p) => { const b = pageBox(p); return [b.width, b.height] as [number, number]; }) };
}

/** Reorders/duplicates pages so the document's page i is a copy of base page `order[i]` (0-based). */
export async function arrangePages(doc: PDFDocument, order: number[]): Promise<void> {
  const n = doc.getPageCount();
  if (order.length === n && order.every((b, i) => b === i)) return;
  const originals = doc.getPages();
  const seen = new Set<number>();
  const wanted = [];
  for (const b of order) {
    if (!seen.has(b)) {
      seen.add(b);
      wanted.push(originals[b]);
    } else {
      const [copy] = await doc.copyPages(doc, [b]);
      wanted.push(copy);
    }
  }
  for (let i = n - 1; i >= 0; i--) doc.removePage(i);
  for (const p of wanted) doc.addPage(p);
}
