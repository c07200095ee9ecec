// Appending documents: the pages of rendered (or stored) PDFs after the main one, then the document-level
// output (metadata, PDF/A, attachments) applied to the whole, so PDF/A's checks cover appended pages too.
import { PDFDocument, ParseSpeeds } from "pdf-lib";
import { renderError } from "./errors.ts";
import { type RenderedPdf, OBJECTS_PER_TICK } from "./layout-engine.ts";
import { type OutputOptions, finishDocument } from "./pdfa.ts";

/** One document of `parts` after another; `output` applied to the result. `names` label the parts in messages. */
export async function mergePdfs(parts: Uint8Array[], names: string[], output?: OutputOptions): Promise<RenderedPdf> {
  const doc = await PDFDocument.load(parts[0], { updateMetadata: false, parseSpeed: ParseSpeeds.Fastest });
  for (let i = 1; i < parts.length; i++) {
    let src: PDFDocument;
    try {
      src = await PDFDocument.load(parts[i], { updateMetadata: false, parseSpeed: ParseSpeeds.Fastest });
    } catch (err) {
      throw renderError("BAD_BASE_PDF", `${names[i]}: not a readable PDF: ${(err as Error).message}`, { cause: err });
    }
    for (const page of await doc.copyPages(src, src.getPageIndices())) doc.addPage(page);
  }
  if (output) await finishDocument(doc, output);
  const bytes = await doc.save({ useObjectStreams: false, updateFieldAppearances: false, objectsPerTick: OBJECTS_PER_TICK });
  return { bytes, pages: doc.getPageCount() };
}
