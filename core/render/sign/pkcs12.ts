// Opens a PKCS#12 (.p12/.pfx) stored with a template: the private key (as PKCS#8 for WebCrypto) and every
// certificate in it, the signer's first. node-forge decrypts both the legacy (3DES/RC2) and the OpenSSL 3
// default (PBES2/AES) containers; keys and certificates it cannot model itself (EC) it hands back as
// ASN.1, which is all we need. Which certificate signs is decided by public key, not by bag order.
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";

/** The key kinds a signature can be made with (what WebCrypto and pkijs give without hand-written crypto). */
export type SignKeyKind = "rsa" | "ec-p256";

export interface Pkcs12Contents {
  /** the private key, PKCS#8 DER */
  pkcs8: Uint8Array;
  kind: SignKeyKind;
  /** DER certificates: the signer's first, then the rest of the chain as stored */
  certificates: Uint8Array[];
}

/** Thrown for a PKCS#12 that cannot be used; the message never contains the passphrase. */
export class Pkcs12Error extends Error {
  constructor(message: string, opts?: ErrorOptions) {
    super(message, opts);
    this.name = "Pkcs12Error";
  }
}

/** The key and certificates of a PKCS#12; Pkcs12Error for a wrong passphrase, no key, no matching certificate or an unsupported key. */
export async function readPkcs12(p12: Uint8Array, passphrase: string): Promise<Pkcs12Contents> {
  const forge = (await import("node-forge")).default;
  const { asn1, pki, pkcs12 } = forge;
  // told apart by stage, not by forge's wording: bytes that are no DER at all, then a container the passphrase does not open
  let outer: ReturnType<typeof asn1.fromDer>;
  try {
    outer = asn1.fromDer(forge.util.createBuffer(Buffer.from(p12).toString("binary")));
  } catch (err) {
    throw new Pkcs12Error(`not a readable PKCS#12: ${(err as Error).message}`, { cause: err });
  }
  let parsed: ReturnType<typeof pkcs12.pkcs12FromAsn1>;
  try {
    parsed = pkcs12.pkcs12FromAsn1(outer, passphrase);
  } catch (err) {
    throw new Pkcs12Error(`the passphrase does not open it, or it is no PKCS#12 (${(err as Error).message.replaceAll(passphrase, "***")})`, { cause: err });
  }
  const der = (a: unknown) => Buffer.from(asn1.toDer(a as Parameters<typeof asn1.toDer>[0]).getBytes(), "binary");
  const keys: Uint8Array[] = [];
  for (const t of [pki.oids.pkcs8ShroudedKeyBag!, pki.oids.keyBag!]) {
    for (const bag of parsed.getBags({ bagType: t })[t] ?? []) {
      // forge models RSA keys; others (EC) come back as the decrypted PKCS#8 ASN.1
      if (bag.key) keys.push(der(pki.wrapRsaPrivateKey(pki.privateKeyToAsn1(bag.key as import("node-forge").pki.rsa.PrivateKey))));
      else if (bag.asn1) keys.push(der(bag.asn1));
    }
  }
  if (keys.length === 0) throw new Pkcs12Error("it holds no private key (export it with the key: openssl pkcs12 -export -inkey KEY -in CERT)");
  if (keys.length > 1) throw new Pkcs12Error(`it holds ${keys.length} private keys; store one key with its certificate chain`);
  const certs: Uint8Array[] = [];
  for (const bag of parsed.getBags({ bagType: pki.oids.certBag! })[pki.oids.certBag!] ?? []) {
    // a certificate forge parsed keeps its original TBS; forge only re-wraps it, byte-identical for DER input
    if (bag.cert) certs.push(der(pki.certificateToAsn1(bag.cert)));
    else if (bag.asn1) certs.push(der(bag.asn1));
  }
  const key = createPrivateKey({ key: Buffer.from(keys[0]!), format: "der", type: "pkcs8" });
  let kind: SignKeyKind;
  if (key.asymmetricKeyType === "rsa") kind = "rsa";
  else if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") kind = "ec-p256";
  else throw new Pkcs12Error(`its key is ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ""}; signatures take an RSA or an ECDSA P-256 key`);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const signer = certs.findIndex((c) => new X509Certificate(c).publicKey.export({ type: "spki", format: "der" }).equals(spki));
  if (signer < 0) throw new Pkcs12Error(certs.length ? "none of its certificates belongs to its private key" : "it holds no certificate (export it with -in CERT)");
  return { pkcs8: keys[0]!, kind, certificates: [certs[signer]!, ...certs.filter((_, i) => i !== signer)] };
}
