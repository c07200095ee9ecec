// The layout engine: base PDF + layout + data -> PDF bytes, in-process with pdf-lib.
import type { PDFFont } from "pdf-lib";
import { arrangePages, baseInfo, loadBasePdf } from "./base-pdf.ts";
import { stampText } from "./stamp.ts";
import { embedFont } from "./font-embed.ts";
import { fontMetrics, loadFonts } from "./fonts.ts";
import { checkFormNames, fillForm, formFieldNames } from "./forms.ts";
import { type Layout, type FontName, validateLayout } from "./layout.ts";
import { planLayout } from "./plan.ts";
import { useNativeDeflate } from "./native-deflate.ts";

/** Objects pdf-lib writes between yields to the event loop: an invoice never yields (each yield is a timer turn), a 500-page document still does. */
export const OBJECTS_PER_TICK = 2000;

/** A rendered document. */
export interface RenderedPdf {
  bytes: Uint8Array;
  pages: number;
}

/** Renders `data` with a layout over a base PDF. Throws JobErrors with render codes on bad input. */
export async function renderLayout(basePdf: Uint8Array, layout: Layout, data: unknown, opts: { validate?: boolean } = {}): Promise<RenderedPdf> {
  useNativeDeflate();
  await loadFonts();
  const doc = await loadBasePdf(basePdf);
  const info = baseInfo(doc);
  if (opts.validate !== false) validateLayout(layout, info);
  const plan = planLayout(layout, data, info, fontMetrics);

  const fonts = new Map<FontName, PDFFont>();
  const font = async (name: FontName) => {
    let f = fonts.get(name);
    if (!f) {
      f = await embedFont(doc, name);
      fonts.set(name, f);
    }
    return f;
  };
  // Form first: flattening bakes the values into the base page, so continuation copies carry them too.
  if (formFieldNames(doc).length) fillForm(doc, layout.form, data, await font("sans"), fontMetrics("sans"));
  else checkFormNames([], layout.form);
  await arrangePages(doc, plan.pages);
  for (const name of new Set(plan.ops.map((o) => o.font))) await font(name);
  stampText(doc, plan.ops, (name) => fonts.get(name)!);
  const bytes = await doc.save({ useObjectStreams: false, updateFieldAppearances: false, objectsPerTick: OBJECTS_PER_TICK });
  return { bytes, pages: doc.getPageCount() };
}
