// Document-level output: metadata (Info + XMP), PDF/A-2b / PDF/A-3b conformance by construction (sRGB
// OutputIntent, XMP with pdfaid, a file ID, every font embedded or a clear refusal) and associated files
// (Factur-X / ZUGFeRD: the CII XML as factur-x.xml, AFRelationship Alternative, in the catalog's /AF).
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFRef, PDFStream, PDFString, type PDFDocument, type PDFObject } from "pdf-lib";
import srgbPath from "./icc/sRGB.icc" with { type: "file" };
import { renderError } from "./errors.ts";
import type { FacturXProfile } from "./einvoice.ts";

/** Per-document metadata, written to the Info dictionary and (for PDF/A) the XMP packet. */
export interface DocMetadata {
  title?: string;
  author?: string;
  subject?: string;
  keywords?: string[];
  /** the document's natural language (BCP 47, "de-DE"), the catalog's /Lang */
  lang?: string;
  /** creation date; default: the time of rendering */
  created?: Date;
}

/** A file embedded in the PDF (PDF/A-3 associated file). */
export interface AttachedFile {
  name: string;
  bytes: Uint8Array;
  mimeType: string;
  description: string;
  /** how it relates to the document (/AFRelationship) */
  relationship: "Alternative" | "Data" | "Source" | "Supplement" | "Unspecified";
}

/** What the output document must be beyond its pages. */
export interface OutputOptions {
  /** PDF/A conformance: "3b" (allows attachments: Factur-X) or "2b" (archives, no attachments) */
  pdfa?: "2b" | "3b";
  metadata?: DocMetadata;
  attachments?: AttachedFile[];
  /** Factur-X / ZUGFeRD: the profile written to the XMP (the XML is one of `attachments`) */
  facturx?: { profile: FacturXProfile; fileName: string };
}

export const PRODUCER = "docctl";

const located = (p: string) => (isAbsolute(p) ? p : fileURLToPath(new URL(p, import.meta.url)));
let srgb: Uint8Array | undefined;

/** The bundled sRGB IEC61966-2.1 ICC profile (Debian icc-profiles-free, zlib licence). */
export async function srgbProfile(): Promise<Uint8Array> {
  srgb ??= await Bun.file(located(srgbPath)).bytes();
  return srgb;
}

/** Applies metadata, PDF/A and attachments to a document about to be saved. */
export async function finishDocument(doc: PDFDocument, out: OutputOptions, now = new Date()): Promise<void> {
  const meta = out.metadata ?? {};
  if (out.pdfa) {
    const missing = nonEmbeddedFonts(doc);
    if (missing.length)
      throw renderError(
        "NOT_PDFA",
        `PDF/A-${out.pdfa} needs every font embedded, but the base PDF uses ${missing.map((m) => `${m.name} (page ${m.pages.join(", ")})`).join(", ")} without embedding it; ` +
          `re-export the base PDF with its fonts embedded (e.g. in LibreOffice: PDF/A export, or \`gs -dPDFSETTINGS=/prepress\`)`,
      );
  }
  if (out.attachments?.length && out.pdfa === "2b")
    throw renderError("BAD_FIELD_VALUE", `PDF/A-2b allows no embedded files; use PDF/A-3b for attachments such as factur-x.xml`);
  const created = meta.created ?? now;
  if (out.metadata || out.pdfa) {
    if (meta.title !== undefined) doc.setTitle(meta.title, { showInWindowTitleBar: true });
    if (meta.author !== undefined) doc.setAuthor(meta.author);
    if (meta.subject !== undefined) doc.setSubject(meta.subject);
    if (meta.keywords !== undefined) doc.setKeywords(meta.keywords);
    if (meta.lang !== undefined) doc.setLanguage(meta.lang);
    doc.setProducer(PRODUCER);
    doc.setCreator(PRODUCER);
    doc.setCreationDate(created);
    doc.setModificationDate(now);
  }
  for (const file of out.attachments ?? []) attach(doc, file, now);
  if (!out.pdfa) return;
  const ctx = doc.context;
  // sRGB output intent: device RGB (what docctl draws) and gray are then colour-defined
  const icc = ctx.register(ctx.flateStream(await srgbProfile(), { N: 3 }));
  const intent = ctx.obj({
    Type: "OutputIntent",
    S: "GTS_PDFA1",
    OutputConditionIdentifier: PDFString.of("sRGB IEC61966-2.1"),
    RegistryName: PDFString.of("http://www.color.org"),
    Info: PDFString.of("sRGB IEC61966-2.1"),
    DestOutputProfile: icc,
  });
  doc.catalog.set(PDFName.of("OutputIntents"), ctx.obj([intent]));
  const title = meta.title ?? infoText(doc, "Title");
  const xmp = xmpPacket({
    part: out.pdfa === "3b" ? 3 : 2,
    title,
    author: meta.author ?? infoText(doc, "Author"),
    subject: meta.subject ?? infoText(doc, "Subject"),
    keywords: meta.keywords,
    created,
    modified: now,
    producer: PRODUCER,
    facturx: out.facturx,
  });
  // PDF/A: the metadata stream is not compressed, so any XMP reader finds it
  const metaStream = ctx.stream(new TextEncoder().encode(xmp), { Type: "Metadata", Subtype: "XML" });
  doc.catalog.set(PDFName.of("Metadata"), ctx.register(metaStream));
  // a file identifier in the trailer is required
  const id = PDFHexString.of(fileId(`${created.toISOString()}|${now.toISOString()}|${title ?? ""}|${doc.getPageCount()}|${Math.random()}`));
  ctx.trailerInfo.ID = ctx.obj([id, id]);
}

function infoText(doc: PDFDocument, key: "Title" | "Author" | "Subject"): string | undefined {
  try {
    return key === "Title" ? doc.getTitle() : key === "Author" ? doc.getAuthor() : doc.getSubject();
  } catch {
    return undefined; // an Info entry pdf-lib cannot read as text (a foreign object type): none
  }
}

/** Embeds a file: EmbeddedFiles name tree, file specification with AFRelationship, catalog /AF. */
function attach(doc: PDFDocument, file: AttachedFile, now: Date): void {
  const ctx = doc.context;
  const date = PDFString.fromDate(now);
  const stream = ctx.register(
    ctx.flateStream(file.bytes, { Type: "EmbeddedFile", Subtype: file.mimeType, Params: { Size: file.bytes.length, ModDate: date, CreationDate: date } }),
  );
  const spec = ctx.register(
    ctx.obj({
      Type: "Filespec",
      F: PDFString.of(file.name),
      UF: PDFHexString.fromText(file.name),
      Desc: PDFString.of(file.description),
      AFRelationship: file.relationship,
      EF: { F: stream, UF: stream },
    }),
  );
  const names = doc.catalog.lookupMaybe(PDFName.of("Names"), PDFDict) ?? ctx.obj({});
  doc.catalog.set(PDFName.of("Names"), names);
  let tree = names.lookupMaybe(PDFName.of("EmbeddedFiles"), PDFDict);
  if (!tree) names.set(PDFName.of("EmbeddedFiles"), (tree = ctx.obj({ Names: [] })));
  let list = tree.lookupMaybe(PDFName.of("Names"), PDFArray);
  if (!list) tree.set(PDFName.of("Names"), (list = ctx.obj([])));
  list.push(PDFString.of(file.name));
  list.push(spec);
  let af = doc.catalog.lookupMaybe(PDFName.of("AF"), PDFArray);
  if (!af) doc.catalog.set(PDFName.of("AF"), (af = ctx.obj([])));
  af.push(spec);
}

/** Fonts the pages (and the form XObjects they draw) use without embedding them, with their pages. */
export function nonEmbeddedFonts(doc: PDFDocument): { name: string; pages: number[] }[] {
  const found = new Map<string, Set<number>>();
  const seen = new Set<PDFObject>();
  const lookup = (o: PDFObject | undefined) => (o instanceof PDFRef ? doc.context.lookup(o) : o);
  const visitResources = (res: PDFObject | undefined, page: number) => {
    const r = lookup(res);
    if (!(r instanceof PDFDict) || seen.has(r)) return;
    seen.add(r);
    const fonts = lookup(r.get(PDFName.of("Font")));
    if (fonts instanceof PDFDict)
      for (const [, ref] of fonts.entries()) {
        const font = lookup(ref);
        if (!(font instanceof PDFDict)) continue;
        const name = fontName(font, lookup);
        if (name && !fontEmbedded(font, lookup)) {
          let s = found.get(name);
          if (!s) found.set(name, (s = new Set()));
          s.add(page);
        }
      }
    const xobjects = lookup(r.get(PDFName.of("XObject")));
    if (xobjects instanceof PDFDict)
      for (const [, ref] of xobjects.entries()) {
        const x = lookup(ref);
        if (x instanceof PDFStream && x.dict.get(PDFName.of("Subtype")) === PDFName.of("Form")) visitResources(x.dict.get(PDFName.of("Resources")), page);
      }
  };
  doc.getPages().forEach((p, i) => {
    seen.delete(p.node.Resources() as PDFObject);
    visitResources(p.node.Resources(), i + 1);
    const annots = p.node.Annots();
    if (annots)
      for (let k = 0; k < annots.size(); k++) {
        const a = lookup(annots.get(k));
        const ap = a instanceof PDFDict ? lookup(a.get(PDFName.of("AP"))) : undefined;
        const n = ap instanceof PDFDict ? lookup(ap.get(PDFName.of("N"))) : undefined;
        if (n instanceof PDFStream) visitResources(n.dict.get(PDFName.of("Resources")), i + 1);
      }
  });
  return [...found].map(([name, pages]) => ({ name, pages: [...pages].sort((a, b) => a - b) }));
}

function fontName(font: PDFDict, lookup: (o: PDFObject | undefined) => PDFObject | undefined): string | undefined {
  const base = lookup(font.get(PDFName.of("BaseFont")));
  return base instanceof PDFName ? base.decodeText() : font.get(PDFName.of("Subtype")) === PDFName.of("Type3") ? undefined : "(unnamed font)";
}

function fontEmbedded(font: PDFDict, lookup: (o: PDFObject | undefined) => PDFObject | undefined): boolean {
  const subtype = font.get(PDFName.of("Subtype"));
  if (subtype === PDFName.of("Type3")) return true; // glyphs are content streams
  let f: PDFDict = font;
  if (subtype === PDFName.of("Type0")) {
    const desc = lookup(font.get(PDFName.of("DescendantFonts")));
    const d0 = desc instanceof PDFArray ? lookup(desc.get(0)) : undefined;
    if (!(d0 instanceof PDFDict)) return false;
    f = d0;
  }
  const fd = lookup(f.get(PDFName.of("FontDescriptor")));
  if (!(fd instanceof PDFDict)) return false;
  return ["FontFile", "FontFile2", "FontFile3"].some((k) => fd.get(PDFName.of(k)) !== undefined);
}

/** The Factur-X XMP extension schema's conformance level names. */
const FX_LEVEL: Record<FacturXProfile, string> = {
  MINIMUM: "MINIMUM",
  "BASIC WL": "BASIC WL",
  BASIC: "BASIC",
  "EN 16931": "EN 16931",
  EXTENDED: "EXTENDED",
};

/** The XMP packet of a PDF/A document: Dublin Core, XMP basic, PDF, pdfaid and (Factur-X) the fx extension schema. Pure. */
export function xmpPacket(m: {
  part: 2 | 3;
  title?: string;
  author?: string;
  subject?: string;
  keywords?: string[];
  created: Date;
  modified: Date;
  producer: string;
  facturx?: { profile: FacturXProfile; fileName: string };
}): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const alt = (s: string) => `<rdf:Alt><rdf:li xml:lang="x-default">${esc(s)}</rdf:li></rdf:Alt>`;
  const date = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
  const dc = [
    m.title !== undefined ? `<dc:title>${alt(m.title)}</dc:title>` : "",
    m.author !== undefined ? `<dc:creator><rdf:Seq><rdf:li>${esc(m.author)}</rdf:li></rdf:Seq></dc:creator>` : "",
    m.subject !== undefined ? `<dc:description>${alt(m.subject)}</dc:description>` : "",
  ].join("");
  const fx = m.facturx
    ? `
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>fx</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq>
     ${fxProp("DocumentFileName", "The name of the embedded XML document")}
     ${fxProp("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER")}
     ${fxProp("Version", "The actual version of the standard applying to the embedded XML document")}
     ${fxProp("ConformanceLevel", "The conformance level of the embedded XML document")}
    </rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>${esc(m.facturx.fileName)}</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>${FX_LEVEL[m.facturx.profile]}</fx:ConformanceLevel>
  </rdf:Description>`
    : "";
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>${m.part}</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">${dc}</rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>${esc(m.producer)}</xmp:CreatorTool>
   <xmp:CreateDate>${date(m.created)}</xmp:CreateDate>
   <xmp:ModifyDate>${date(m.modified)}</xmp:ModifyDate>
   <xmp:MetadataDate>${date(m.modified)}</xmp:MetadataDate>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>${esc(m.producer)}</pdf:Producer>${m.keywords?.length ? `\n   <pdf:Keywords>${esc(m.keywords.join(" "))}</pdf:Keywords>` : ""}
  </rdf:Description>${fx}
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;
}

function fxProp(name: string, description: string): string {
  return `<rdf:li rdf:parseType="Resource"><pdfaProperty:name>${name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>${description}</pdfaProperty:description></rdf:li>`;
}

/** 16 bytes of hex for the trailer's /ID, from a seed (FNV-1a, four lanes). */
function fileId(seed: string): string {
  let out = "";
  for (let lane = 0; lane < 4; lane++) {
    let h = 0x811c9dc5 ^ lane;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out;
}
