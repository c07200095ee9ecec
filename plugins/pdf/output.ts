// The pdf job's document options (metadata, PDF/A, Factur-X) turned into the renderer's OutputOptions.
import { JobError } from "../../core/runtime/protocol/errors.ts";
import { FACTURX_FILENAME, FACTURX_PROFILES, type FacturXJob, facturxXml } from "../../core/render/einvoice.ts";
import type { OutputOptions } from "../../core/render/pdfa.ts";

/** The job's `metadata`. */
export interface PdfMetadata {
  title?: string;
  author?: string;
  subject?: string;
  /** a list, or one string of words separated by spaces */
  keywords?: string[] | string;
  /** BCP 47 language of the document ("de-DE") */
  lang?: string;
  /** ISO 8601 date-time of creation (default: the time of rendering) */
  created?: string;
}

/** The payload keys this module reads. */
export interface PdfOutputPayload {
  metadata?: PdfMetadata;
  /** PDF/A conformance of the output: "3b" (attachments allowed) or "2b" (archives) */
  pdfa?: "2b" | "3b";
  /** a Factur-X / ZUGFeRD invoice: the output is PDF/A-3b with the CII XML embedded as factur-x.xml */
  facturx?: FacturXJob;
}

export const pdfOutputSchema = {
  metadata: {
    type: "object",
    additionalProperties: false,
    description: "document metadata (Info dictionary, XMP, catalog /Lang)",
    properties: {
      title: { type: "string", maxLength: 1000 },
      author: { type: "string", maxLength: 1000 },
      subject: { type: "string", maxLength: 4000 },
      keywords: { anyOf: [{ type: "string", maxLength: 4000 }, { type: "array", items: { type: "string", maxLength: 200 }, maxItems: 100 }] },
      lang: { type: "string", pattern: "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$" },
      created: { type: "string", maxLength: 40 },
    },
  },
  pdfa: { enum: ["2b", "3b"], description: "PDF/A conformance of the output" },
  facturx: {
    type: "object",
    additionalProperties: false,
    description: "Factur-X / ZUGFeRD e-invoice: the CII XML (xml) or structured invoice data (invoice)",
    properties: {
      profile: { enum: [...FACTURX_PROFILES] },
      xml: { type: "string", maxLength: 10_000_000 },
      invoice: { type: "object" },
    },
  },
} as const;

/** OutputOptions for a payload, or undefined when it asks for nothing beyond the pages. */
export async function jobOutput(p: PdfOutputPayload): Promise<OutputOptions | undefined> {
  if (!p.metadata && !p.pdfa && !p.facturx) return undefined;
  const out: OutputOptions = {};
  if (p.metadata) {
    const m = p.metadata;
    let created: Date | undefined;
    if (m.created !== undefined) {
      created = new Date(m.created);
      if (!/^\d{4}-\d{2}-\d{2}/.test(m.created) || Number.isNaN(created.getTime()))
        throw new JobError("BAD_PAYLOAD", `payload.metadata.created: ${JSON.stringify(m.created)} is not an ISO 8601 date-time (e.g. "2026-11-23T10:00:00Z")`);
    }
    const keywords = typeof m.keywords === "string" ? m.keywords.split(/\s+/).filter(Boolean) : m.keywords;
    out.metadata = { title: m.title, author: m.author, subject: m.subject, keywords, lang: m.lang, created };
  }
  if (p.facturx) {
    if (p.pdfa === "2b") throw new JobError("BAD_PAYLOAD", `payload.pdfa: a Factur-X invoice is PDF/A-3b (it embeds factur-x.xml, which PDF/A-2b forbids); leave pdfa out or set it to "3b"`);
    const { profile, xml } = await facturxXml(p.facturx);
    out.pdfa = "3b";
    out.facturx = { profile, fileName: FACTURX_FILENAME };
    out.attachments = [
      { name: FACTURX_FILENAME, bytes: new TextEncoder().encode(xml), mimeType: "text/xml", description: `Factur-X invoice (${profile})`, relationship: "Alternative" },
    ];
  } else if (p.pdfa) out.pdfa = p.pdfa;
  return out;
}
