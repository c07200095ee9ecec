// Render error codes: stable, part of the wire contract (docs/protocol.md, docs/render.md).
import { JobError } from "../runtime/protocol/errors.ts";

/** Codes a render failure carries. None is retryable except where noted. */
export const RenderErrorCodes = {
  /** no template of that name in the DOCCTL_TEMPLATES bucket */
  TEMPLATE_NOT_FOUND: "TEMPLATE_NOT_FOUND",
  /** the stored template object is not a docctl template bundle */
  BAD_TEMPLATE: "BAD_TEMPLATE",
  /** the data lacks a field the layout or HTML needs */
  MISSING_FIELD: "MISSING_FIELD",
  /** a data value cannot be printed as text (an object or array where text is expected) */
  BAD_FIELD_VALUE: "BAD_FIELD_VALUE",
  /** the base PDF cannot be parsed or has no pages */
  BAD_BASE_PDF: "BAD_BASE_PDF",
  /** the base PDF is encrypted */
  ENCRYPTED_PDF: "ENCRYPTED_PDF",
  /** the layout is invalid (unknown key, wrong type, page that does not exist ...) */
  BAD_LAYOUT: "BAD_LAYOUT",
  /** a character the font has no glyph for */
  UNKNOWN_GLYPH: "UNKNOWN_GLYPH",
  /** text does not fit its box even after wrapping/shrinking as the layout allows */
  TEXT_OVERFLOW: "TEXT_OVERFLOW",
  /** the HTML engine needs Chromium and none was found */
  CHROMIUM_MISSING: "CHROMIUM_MISSING",
  /** Chromium failed while rendering (retryable: the browser is restarted) */
  HTML_RENDER_FAILED: "HTML_RENDER_FAILED",
  /** the template store could not be read (retryable) */
  TEMPLATE_STORE_ERROR: "TEMPLATE_STORE_ERROR",
  /** the job's e-invoice (Factur-X XML or invoice data) is invalid for its profile */
  BAD_EINVOICE: "BAD_EINVOICE",
  /** the document cannot be made PDF/A (a base PDF font that is not embedded) */
  NOT_PDFA: "NOT_PDFA",
  /** a signature asked for a time-stamp (PAdES B-T) and the time-stamp authority gave none that checks out (retryable when it was down, timed out or answered HTTP 5xx) */
  TIMESTAMP_FAILED: "TIMESTAMP_FAILED",
} as const;

export type RenderErrorCode = (typeof RenderErrorCodes)[keyof typeof RenderErrorCodes];

/** Shorthand for a non-retryable render JobError. */
export function renderError(code: RenderErrorCode, message: string, opts?: ErrorOptions & { retryable?: boolean }): JobError {
  return new JobError(code, message, opts);
}
