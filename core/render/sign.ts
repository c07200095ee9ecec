// Digital signatures: a PAdES baseline signature (ETSI EN 319 142-1) over the finished PDF with a PKCS#12
// stored with the template. B-B always; B-T when a time-stamp authority is given. @signpdf places the
// signature field (pdf-lib) and fills the byte range; the CMS is made by ./sign/cades.ts (pkijs), the
// time-stamp fetched by ./sign/tsa.ts. Everything is loaded on first use.
import { renderError } from "./errors.ts";
import { cadesSign } from "./sign/cades.ts";
import { Pkcs12Error, readPkcs12 } from "./sign/pkcs12.ts";
import { fetchTimestamp, TimestampError } from "./sign/tsa.ts";

export interface SignOptions {
  /** the PKCS#12 (.p12/.pfx) bytes: certificate chain and private key (RSA or ECDSA P-256) */
  p12: Uint8Array;
  passphrase: string;
  reason?: string;
  location?: string;
  name?: string;
  contactInfo?: string;
  /** an RFC 3161 time-stamp authority URL: with it the signature is PAdES B-T, without it B-B */
  tsa?: string;
  /**
   * the time-stamp authority's deadline in milliseconds
   * @defaultValue 15000
   */
  tsaTimeoutMs?: number;
  /** aborts a time-stamp request in flight (the job's signal) */
  signal?: AbortSignal;
  /**
   * the signing time written to the signature dictionary's /M
   * @defaultValue now
   */
  time?: Date;
}

/** Defaults of SignOptions. */
export const signDefaults = { tsaTimeoutMs: 15_000 } as const;

/**
 * The bytes kept in the PDF for the CMS: its certificates plus room for attributes and the signature, and
 * a time-stamp token with the TSA's chain. Rounded up to 512: @signpdf pads with half the placeholder's
 * hex length, so an odd length would leave the file a byte short and its xref offsets wrong.
 */
export function signatureRoom(certBytes: number, stamped: boolean): number {
  return Math.ceil((certBytes + 4096 + (stamped ? 16_384 : 0)) / 512) * 512;
}

/**
 * The PDF with an invisible PAdES signature over all of it. BAD_FIELD_VALUE when the certificate cannot be
 * used, TIMESTAMP_FAILED (retryable when the TSA may answer next time) when a requested time-stamp cannot be had.
 */
export async function signPdf(bytes: Uint8Array, o: SignOptions, where: string): Promise<Uint8Array> {
  let key: Awaited<ReturnType<typeof readPkcs12>>;
  try {
    key = await readPkcs12(o.p12, o.passphrase);
  } catch (err) {
    // never the passphrase in the message
    const m = (err as Error).message.replaceAll(o.passphrase, "***");
    throw renderError("BAD_FIELD_VALUE", `${where}: the certificate cannot sign: ${m}`, { cause: err instanceof Pkcs12Error ? undefined : err });
  }
  const { PDFDocument } = await import("pdf-lib");
  const { pdflibAddPlaceholder } = await import("@signpdf/placeholder-pdf-lib");
  const { SUBFILTER_ETSI_CADES_DETACHED, Signer } = await import("@signpdf/utils");
  // the class, not the default instance: the default export's shape differs between Bun's runtime and its compiled bundles
  const { SignPdf } = await import("@signpdf/signpdf");
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  pdflibAddPlaceholder({
    pdfDoc: doc,
    reason: o.reason ?? "",
    contactInfo: o.contactInfo ?? "",
    name: o.name ?? "",
    location: o.location ?? "",
    // B-B: the claimed signing time is /M, not a signing-time attribute in the CMS
    signingTime: o.time ?? new Date(),
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
    signatureLength: signatureRoom(key.certificates.reduce((n, c) => n + c.length, 0), !!o.tsa),
  });
  const prepared = await doc.save({ useObjectStreams: false });
  const tsa = o.tsa;
  const stamp = tsa ? (sig: Uint8Array) => fetchTimestamp(sig, { url: tsa, timeoutMs: o.tsaTimeoutMs ?? signDefaults.tsaTimeoutMs, signal: o.signal }) : undefined;
  class CadesSigner extends Signer {
    override async sign(content: Buffer): Promise<Buffer> {
      return Buffer.from(await cadesSign(new Uint8Array(content), key, stamp));
    }
  }
  try {
    return new Uint8Array(await new SignPdf().sign(Buffer.from(prepared), new CadesSigner()));
  } catch (err) {
    if (err instanceof TimestampError)
      throw renderError("TIMESTAMP_FAILED", `${where}.tsa: no time-stamp, so no signature: ${err.message}`, { cause: err, retryable: err.retryable });
    throw renderError("BAD_FIELD_VALUE", `${where}: the certificate cannot sign: ${(err as Error).message.replaceAll(o.passphrase, "***")}`, { cause: err });
  }
}
