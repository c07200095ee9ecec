// The layout engine: base PDF + layout + data -> PDF bytes, in-process with pdf-lib.
import { arrangePages, baseInfo, loadBasePdf } from "./base-pdf.ts";
import { stamp } from "./stamp.ts";
import { graphicsWriter } from "./graphics.ts";
import { embedFont } from "./font-embed.ts";
import { type FontSet, builtinFontSet, fontMetrics, loadFonts } from "./fonts.ts";
import { type FormFonts, checkFormNames, fillForm, formFieldNames } from "./forms.ts";
import type { PDFDocument, PDFFont } from "pdf-lib";
import { BUILTIN_FONTS, type BuiltinFontName, type FontSpec, type Layout, validateLayout } from "./layout.ts";
import { planLayout } from "./plan.ts";
import { EAN_TYPES, loadEncoders } from "./codes.ts";
import { loadHyphenation } from "./hyphenate.ts";
import { useNativeDeflate } from "./native-deflate.ts";
import { type OutputOptions, finishDocument } from "./pdfa.ts";

/** Objects pdf-lib writes between yields to the event loop: an invoice never yields (each yield is a timer turn), a 500-page document still does. */
export const OBJECTS_PER_TICK = 2000;

/** A rendered document. */
export interface RenderedPdf {
  bytes: Uint8Array;
  pages: number;
}

/** What a layout render may use beyond the layout: the template's fonts and assets. */
export interface RenderContext {
  /** validate the layout against the base first (default true) */
  validate?: boolean;
  /** fonts the layout may name (default: the built-ins) */
  fonts?: FontSet;
  /** template assets by name */
  assets?: Map<string, Uint8Array>;
  /** identifies this version of the assets in the image cache (the template's digest) */
  assetKey?: string;
  /** metadata, PDF/A, attachments (Factur-X) */
  output?: OutputOptions;
  /** time zone for formatted dates with a time of day (a field's `tz` wins; default UTC) */
  tz?: string;
}

/** Renders `data` with a layout over a base PDF. Throws JobErrors with render codes on bad input. */
export async function renderLayout(basePdf: Uint8Array, layout: Layout, data: unknown, opts: RenderContext = {}): Promise<RenderedPdf> {
  useNativeDeflate();
  await loadFonts();
  const fonts = opts.fonts ?? builtinFontSet();
  const doc = await loadBasePdf(basePdf);
  const info = baseInfo(doc);
  if (opts.validate !== false) validateLayout(layout, { ...info, fonts: fonts.names().slice(3), assets: [...(opts.assets?.keys() ?? [])] });
  const locales = hyphenationLocales(layout);
  const hyphenator = locales.length ? await loadHyphenation(locales) : undefined;
  // EAN/UPC digits are placed in the plan, from the encoder's own layout
  if ((layout.fields ?? []).some((f) => f.kind === "barcode" && f.showText && EAN_TYPES.has(f.type ?? ""))) await loadEncoders();
  const plan = planLayout(layout, data, info, (spec) => fonts.metrics(spec), hyphenator, opts.tz);

  // Form first: flattening bakes the values into the base page, so continuation copies carry them too.
  if (formFieldNames(doc).length) await fillForm(doc, layout.form, data, formFonts(doc, layout.form?.font ?? "sans", fonts));
  else checkFormNames([], layout.form);
  await arrangePages(doc, plan.pages);
  const graphics = plan.graphics.length ? graphicsWriter(opts.assets ?? new Map(), opts.assetKey ?? "", () => doc.context) : undefined;
  await stamp(doc, plan.ops, plan.graphics, fonts, graphics);
  if (opts.output) await finishDocument(doc, opts.output);
  const bytes = await doc.save({ useObjectStreams: false, updateFieldAppearances: false, objectsPerTick: OBJECTS_PER_TICK });
  return { bytes, pages: doc.getPageCount() };
}

/** The locales whose hyphenation patterns a layout needs (fields, columns and after-fields with `hyphenate`). */
export function hyphenationLocales(layout: Layout): string[] {
  const out = new Set<string>();
  const base = layout.defaults?.hyphenate === true;
  const visit = (o: { hyphenate?: boolean; locale?: string }) => {
    if (o.hyphenate ?? base) out.add(o.locale ?? layout.locale ?? "en-US");
  };
  (layout.fields ?? []).forEach(visit);
  for (const t of layout.tables ?? []) {
    t.columns.forEach(visit);
    (t.after ?? []).forEach(visit);
  }
  return [...out];
}

/** The form's fonts (`form.font`, default the built-in sans): built-ins through pdf-lib's shared subsets, template fonts embedded as they are. */
function formFonts(doc: PDFDocument, spec: FontSpec, fonts: FontSet): FormFonts {
  const names = typeof spec === "string" ? [spec] : spec;
  const embedded = new Map<number, Promise<PDFFont>>();
  return {
    names,
    metrics: names.map((n) => fonts.metrics(n)),
    embed(i) {
      let f = embedded.get(i);
      if (!f) {
        const name = names[i];
        f = (BUILTIN_FONTS as readonly string[]).includes(name)
          ? embedFont(doc, name as BuiltinFontName)
          : (async () => {
              doc.registerFontkit((await import("@pdf-lib/fontkit")).default);
              return await doc.embedFont(fonts.face(name).bytes, { subset: true });
            })();
        embedded.set(i, f);
      }
      return f;
    },
  };
}
