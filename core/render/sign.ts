// Digital signatures: a PAdES-style signature (SubFilter ETSI.CAdES.detached) over the finished PDF with a
// PKCS#12 certificate stored with the template. @signpdf places the signature field (pdf-lib) and signs
// the byte range (node-forge CMS). Loaded on first use.
import { renderError } from "./errors.ts";

export interface SignOptions {
  /** the PKCS#12 (.p12/.pfx) bytes: certificate and private key */
  p12: Uint8Array;
  passphrase: string;
  reason?: string;
  location?: string;
  name?: string;
  contactInfo?: string;
}

/** The PDF with an invisible signature over all of it; BAD_FIELD_VALUE when the certificate cannot be used. */
export async function signPdf(bytes: Uint8Array, o: SignOptions, where: string): Promise<Uint8Array> {
  const { PDFDocument } = await import("pdf-lib");
  const { pdflibAddPlaceholder } = await import("@signpdf/placeholder-pdf-lib");
  const { P12Signer } = await import("@signpdf/signer-p12");
  const { SUBFILTER_ETSI_CADES_DETACHED } = await import("@signpdf/utils");
  // the class, not the default instance: the default export's shape differs between Bun's runtime and its compiled bundles
  const { SignPdf } = await import("@signpdf/signpdf");
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  pdflibAddPlaceholder({
    pdfDoc: doc,
    reason: o.reason ?? "",
    contactInfo: o.contactInfo ?? "",
    name: o.name ?? "",
    location: o.location ?? "",
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
  });
  const prepared = await doc.save({ useObjectStreams: false });
  try {
    const signed = await new SignPdf().sign(Buffer.from(prepared), new P12Signer(Buffer.from(o.p12), { passphrase: o.passphrase }));
    return new Uint8Array(signed);
  } catch (err) {
    // never the passphrase in the message
    throw renderError("BAD_FIELD_VALUE", `${where}: the certificate cannot sign: ${(err as Error).message.replaceAll(o.passphrase, "***")} (a wrong passphrase, or a PKCS#12 made with ciphers node-forge lacks: re-export it with \`openssl pkcs12 -export -legacy\`)`, { cause: err });
  }
}
