// The CMS inside a PAdES baseline signature (ETSI EN 319 142-1, B-B and B-T): detached SignedData over
// the PDF's byte range with exactly the signed attributes B-B asks for (content-type, message-digest,
// ESS signing-certificate-v2; no signing-time: the time is the signature dictionary's /M), SHA-256,
// RSA PKCS#1 v1.5 or ECDSA P-256 through WebCrypto (pkijs), the whole chain in `certificates`, and for
// B-T an RFC 3161 signature-time-stamp as an unsigned attribute.
import type * as Asn1js from "asn1js";
import type * as Pkijs from "pkijs";
import type { Pkcs12Contents } from "./pkcs12.ts";

/** Object identifiers this module writes (and tests look for). */
export const CadesOids = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  signatureTimeStampToken: "1.2.840.113549.1.9.16.2.14",
  sha256: "2.16.840.1.101.3.4.2.1",
} as const;

type Libs = { pkijs: typeof Pkijs; asn1js: typeof Asn1js };

/** pkijs and asn1js, loaded on first use (optional peers of the npm package). */
export async function loadPki(): Promise<Libs> {
  const [pkijs, asn1js] = await Promise.all([import("pkijs"), import("asn1js")]);
  return { pkijs, asn1js };
}

const sha256 = async (b: BufferSource) => new Uint8Array(await crypto.subtle.digest("SHA-256", b));
const ab = (u: Uint8Array) => u.slice().buffer as ArrayBuffer;

/**
 * The signed attributes of a B-B signature, in DER order (a SET OF is sorted by encoding): content-type
 * id-data, the content's SHA-256, and signing-certificate-v2 naming the signer by the SHA-256 of its
 * certificate and its issuer and serial (hashAlgorithm left out: SHA-256 is its DEFAULT).
 */
export function signedAttributes(l: Libs, contentDigest: Uint8Array, signer: Pkijs.Certificate, signerHash: Uint8Array): Pkijs.Attribute[] {
  const { pkijs, asn1js } = l;
  const essCertIdV2 = new asn1js.Sequence({
    value: [
      new asn1js.OctetString({ valueHex: ab(signerHash) }),
      new asn1js.Sequence({
        value: [new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: signer.issuer })] }).toSchema(), signer.serialNumber],
      }),
    ],
  });
  const attrs = [
    new pkijs.Attribute({ type: CadesOids.contentType, values: [new asn1js.ObjectIdentifier({ value: CadesOids.data })] }),
    new pkijs.Attribute({ type: CadesOids.messageDigest, values: [new asn1js.OctetString({ valueHex: ab(contentDigest) })] }),
    new pkijs.Attribute({ type: CadesOids.signingCertificateV2, values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] })] }),
  ];
  const der = (a: Pkijs.Attribute) => new Uint8Array(a.toSchema().toBER());
  return attrs.sort((a, b) => Buffer.compare(der(a), der(b)));
}

/** What B-T needs from a time-stamp authority: a token (ContentInfo DER) over the given signature value. */
export type Timestamper = (signatureValue: Uint8Array) => Promise<Uint8Array>;

/** A DER CMS ContentInfo(SignedData), detached, over `content`; with `timestamp` it carries a signature-time-stamp. */
export async function cadesSign(content: Uint8Array, key: Pkcs12Contents, timestamp?: Timestamper): Promise<Uint8Array> {
  const l = await loadPki();
  const { pkijs, asn1js } = l;
  const certs = key.certificates.map((c) => pkijs.Certificate.fromBER(ab(c)));
  const signer = certs[0]!;
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    ab(key.pkcs8),
    key.kind === "rsa" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.issuer, serialNumber: signer.serialNumber }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({
      type: 0,
      attributes: signedAttributes(l, await sha256(ab(content)), signer, await sha256(ab(key.certificates[0]!))),
    }),
  });
  const sd = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: CadesOids.data }),
    signerInfos: [signerInfo],
    certificates: certs,
  });
  await sd.sign(privateKey, 0, "SHA-256");
  if (timestamp) {
    const token = await timestamp(new Uint8Array(signerInfo.signature.valueBlock.valueHexView));
    const parsed = asn1js.fromBER(ab(token));
    signerInfo.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
      type: 1,
      attributes: [new pkijs.Attribute({ type: CadesOids.signatureTimeStampToken, values: [parsed.result] })],
    });
  }
  const ci = new pkijs.ContentInfo({ contentType: CadesOids.signedData, content: sd.toSchema(true) });
  return new Uint8Array(ci.toSchema().toBER(false));
}
