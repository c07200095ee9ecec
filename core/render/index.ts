// core/render: templates (a base PDF plus a layout or an HTML page) to PDF, and the template store.
export { RenderErrorCodes, type RenderErrorCode } from "./errors.ts";
export {
  type Layout,
  type FieldSpec,
  type TableSpec,
  type ColumnSpec,
  type AfterSpec,
  type FormSpec,
  type TextStyle,
  type FontName,
  type FontSpec,
  type BuiltinFontName,
  type FieldKind,
  FONT_NAMES,
  BUILTIN_FONTS,
  layoutDefaults,
  validateLayout,
  layoutProblems,
} from "./layout.ts";
export { wrapText, fitText, alignX, type FontMetrics, type FittedText } from "./text.ts";
export { flowRows, type FlowInput, type FlowResult } from "./table.ts";
export { planLayout, type RenderPlan, type DrawOp } from "./plan.ts";
export { loadFonts, fontMetrics, fontFile, FontSet, type TemplateFont } from "./fonts.ts";
export { clearSubsetCache } from "./pdf-font.ts";
export { parseFormat, formatValue } from "./format.ts";
export { loadBasePdf, baseInfo } from "./base-pdf.ts";
export { formAssignments } from "./forms.ts";
export { renderLayout, type RenderedPdf } from "./layout-engine.ts";
export { HtmlEngine, findChromium, fillHtml, htmlEngineDefaults, type HtmlEngineOptions } from "./html-engine.ts";
export { Renderer, type RendererOptions } from "./renderer.ts";
export { type Template, type TemplateKind, type TemplateSource, type TemplateAsset, buildTemplate, encodeBundle, decodeBundle } from "./template.ts";
export { TEMPLATES_BUCKET, TemplateCache, putTemplate, storeTemplate, listTemplates, getTemplate, removeTemplate, templateStore, type TemplateInfo } from "./store.ts";
export { checkBasePdf, countPages, templateLimitsDefaults, templateLimitsFromEnv, parseLimit, type TemplateLimits } from "./limits.ts";
