// The `pdf` job type: renders a stored template with the job's data and stores the PDF as the job's output.
import type { NatsConnection } from "@nats-io/transport-node";
import type { HandlerDef, JobContext } from "../../core/runtime/protocol/types.ts";
import { JobError } from "../../core/runtime/protocol/errors.ts";
import { loadFonts } from "../../core/render/fonts.ts";
import { Renderer } from "../../core/render/renderer.ts";
import { wantsWarmUp, warmUp } from "../../core/render/warm-up.ts";
import { TemplateCache } from "../../core/render/store.ts";
import type { HtmlEngineOptions } from "../../core/render/html-engine.ts";
import { type TemplateLimits, templateLimitsFromEnv } from "../../core/render/limits.ts";
import { type PdfOutputPayload, jobOutput, pdfOutputSchema } from "./output.ts";
import { checkTimeZone } from "../../core/render/format.ts";
import { mergePdfs } from "../../core/render/merge.ts";
import { type EncryptOptions, encryptPdf } from "../../core/render/encrypt.ts";
import { signPdf } from "../../core/render/sign.ts";

/** The job payload. */
export interface PdfPayload extends PdfOutputPayload {
  /** name of a template in DOCCTL_TEMPLATES */
  template: string;
  /** the values the layout or HTML page prints */
  data: Record<string, unknown>;
  /** file name of the output (default `<template>-<job id>.pdf`) */
  filename?: string;
  /** IANA time zone for the layout's dates with a time of day (a field's `tz` wins; default UTC) */
  tz?: string;
  /** sign the document with a PKCS#12 certificate stored with the template (`--asset NAME.p12=FILE`) */
  sign?: { certificate: string; passphrase: string; reason?: string; location?: string; name?: string; contactInfo?: string; tsa?: string; tsaTimeoutMs?: number };
  /** password protection with permissions (not with pdfa/facturx: PDF/A forbids encryption) */
  encrypt?: EncryptOptions;
  /** documents appended after this one, in order: a stored template rendered with its own data (none: its base as it is) */
  append?: { template: string; data?: Record<string, unknown> }[];
}

/** The job's result value (the document itself is the result's `output`). */
export interface PdfResult {
  template: string;
  /** object digest of the template version used */
  digest: string;
  pages: number;
  bytes: number;
  filename: string;
}

export interface PdfHandlerOptions {
  /** connection to read templates from the DOCCTL_TEMPLATES object store */
  nc: NatsConnection;
  /** HTML engine options (Chromium path ...); DOCCTL_CHROMIUM is read when absent */
  html?: HtmlEngineOptions;
  /** caps on templates' base PDFs, checked when a template version is first loaded; else DOCCTL_TEMPLATE_MAX_* (see docs/render.md), else the defaults */
  limits?: Partial<TemplateLimits>;
}

export const pdfPayloadSchema = {
  type: "object",
  required: ["template", "data"],
  additionalProperties: false,
  properties: {
    template: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", description: "template name in DOCCTL_TEMPLATES" },
    data: { type: "object", description: "values the template prints" },
    filename: { type: "string", pattern: "^[^/\\\\]{1,200}$", description: "output file name" },
    tz: { type: "string", maxLength: 64, description: "IANA time zone for formatted dates with a time (layout templates)" },
    sign: {
      type: "object",
      required: ["certificate", "passphrase"],
      additionalProperties: false,
      description: "a signature with a PKCS#12 certificate stored with the template",
      properties: {
        certificate: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" },
        passphrase: { type: "string", maxLength: 1000 },
        reason: { type: "string", maxLength: 500 },
        location: { type: "string", maxLength: 500 },
        name: { type: "string", maxLength: 500 },
        contactInfo: { type: "string", maxLength: 500 },
        tsa: { type: "string", pattern: "^https?://[^\\s]+$", maxLength: 2000, description: "an RFC 3161 time-stamp authority URL: the signature becomes PAdES B-T" },
        tsaTimeoutMs: { type: "integer", minimum: 100, maximum: 120000, description: "the time-stamp authority's deadline in ms (default 15000)" },
      },
    },
    encrypt: {
      type: "object",
      required: ["ownerPassword"],
      additionalProperties: false,
      description: "password protection (AES-256) with permissions",
      properties: {
        ownerPassword: { type: "string", minLength: 1, maxLength: 127 },
        userPassword: { type: "string", maxLength: 127 },
        permissions: {
          type: "object",
          additionalProperties: false,
          properties: {
            printing: { anyOf: [{ type: "boolean" }, { enum: ["lowResolution", "highResolution"] }] },
            modifying: { type: "boolean" },
            copying: { type: "boolean" },
            annotating: { type: "boolean" },
            fillingForms: { type: "boolean" },
            contentAccessibility: { type: "boolean" },
            documentAssembly: { type: "boolean" },
          },
        },
      },
    },
    append: {
      type: "array",
      maxItems: 50,
      description: "documents appended after this one: stored templates, rendered with their own data",
      items: {
        type: "object",
        required: ["template"],
        additionalProperties: false,
        properties: { template: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$" }, data: { type: "object" } },
      },
    },
    ...pdfOutputSchema,
  },
} as const;

/** Builds the pdf handler around one NATS connection: a template cache and a renderer per proc. */
export function createPdfHandler(opts: PdfHandlerOptions): HandlerDef<PdfPayload, PdfResult> {
  const cache = new TemplateCache(opts.nc, 64, opts.limits ?? templateLimitsFromEnv(process.env));
  const renderer = new Renderer({ html: opts.html });
  return {
    description: "Render a stored template (base PDF + layout or HTML) with the job's data to a PDF",
    schema: pdfPayloadSchema,
    timeoutMs: 60_000,
    maxAttempts: 3,
    // Warm what can be warmed before the first job: fonts parsed, the stored templates downloaded,
    // and the templates bucket watched, so a job costs no digest check round trip; and, when a layout
    // template is stored, the layout engine compiled by JavaScriptCore on a built-in page (warm-up.ts),
    // so the first batch does not render its first few dozen documents 2-3x slower.
    async setup() {
      await Promise.all([loadFonts(), cache.watch()]);
      if (wantsWarmUp(cache.held())) await warmUp(renderer);
    },
    async teardown() {
      cache.stopWatching();
      await renderer.stop();
    },
    async handle(payload: PdfPayload, ctx: JobContext): Promise<PdfResult> {
      // the e-invoice is checked (or generated) before anything is rendered
      const output = await jobOutput(payload);
      if (payload.sign && payload.encrypt)
        throw new JobError("BAD_PAYLOAD", `payload.sign and payload.encrypt together are not supported (encrypting after signing would break the signature)`);
      if (payload.encrypt && (payload.pdfa || payload.facturx))
        throw new JobError("BAD_PAYLOAD", `payload.encrypt: PDF/A (and so Factur-X) forbids encryption; leave out "encrypt" or "pdfa"/"facturx"`);
      const badTz = payload.tz !== undefined ? checkTimeZone(payload.tz) : undefined;
      if (badTz) throw new JobError("BAD_PAYLOAD", `payload.tz: ${badTz}`);
      const template = await cache.get(payload.template);
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error("aborted");
      let doc = await renderer.render(template, payload.data, { signal: ctx.signal, output: payload.append?.length ? undefined : output, tz: payload.tz });
      if (payload.append?.length) {
        // the appended documents, each from its stored template; PDF/A and metadata then apply to the whole
        const parts = [doc.bytes];
        for (const a of payload.append) {
          const t = await cache.get(a.template);
          if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error("aborted");
          parts.push((await renderer.render(t, a.data ?? {}, { signal: ctx.signal, tz: payload.tz })).bytes);
        }
        doc = await mergePdfs(parts, [payload.template, ...payload.append.map((a, i) => `append[${i}] (template ${a.template})`)], output);
      }
      if (payload.sign) {
        const cert = template.assets?.find((a) => a.name === payload.sign!.certificate);
        if (!cert)
          throw new JobError("BAD_PAYLOAD", `payload.sign.certificate: the template ${JSON.stringify(payload.template)} has no asset ${JSON.stringify(payload.sign.certificate)} (store it with docctl template put ... --asset ${payload.sign.certificate}=cert.p12)`);
        doc = { bytes: await signPdf(doc.bytes, { ...payload.sign, p12: cert.bytes, signal: ctx.signal }, "payload.sign"), pages: doc.pages };
      }
      if (payload.encrypt) doc = { bytes: await encryptPdf(doc.bytes, payload.encrypt), pages: doc.pages };
      ctx.heartbeat();
      const filename = payload.filename ?? `${payload.template}-${ctx.id}.pdf`;
      await ctx.output(doc.bytes, { filename, contentType: "application/pdf" });
      return { template: payload.template, digest: template.digest, pages: doc.pages, bytes: doc.bytes.length, filename };
    },
  };
}

let configured: HandlerDef<PdfPayload, PdfResult> | null = null;

/** Gives the default-exported handler its NATS connection; the worker calls it once per proc before setup(). */
export function configurePdf(opts: PdfHandlerOptions): void {
  configured = createPdfHandler(opts);
}

function need(): HandlerDef<PdfPayload, PdfResult> {
  if (!configured)
    throw new JobError("PDF_NOT_CONFIGURED", "the pdf handler has no NATS connection: the worker must call configurePdf({ nc }) before running jobs", { retryable: true });
  return configured;
}

/** The `pdf` handler for the registry; needs configurePdf({ nc }) first (or use createPdfHandler). */
const pdf: HandlerDef<PdfPayload, PdfResult> = {
  description: "Render a stored template (base PDF + layout or HTML) with the job's data to a PDF",
  schema: pdfPayloadSchema,
  timeoutMs: 60_000,
  maxAttempts: 3,
  // setup never fails for want of configuration: a proc that runs no pdf jobs must still start
  setup: async () => {
    await loadFonts();
    await configured?.setup?.();
  },
  teardown: async () => {
    await configured?.teardown?.();
  },
  handle: (payload, ctx) => need().handle(payload, ctx),
};

export default pdf;
