// A small PKI made with openssl for signature tests: a root CA, an intermediate CA, signers (RSA and
// ECDSA P-256) as PKCS#12 with their whole chain (OpenSSL 3's default ciphers), and a time-stamping
// certificate (extendedKeyUsage critical timeStamping) for a fake RFC 3161 authority.
import { join } from "node:path";
import { run } from "./pdf.ts";

export interface TestPki {
  dir: string;
  /** the root CA (PEM path): the only trust anchor verifiers are given */
  rootPem: string;
  intermediatePem: string;
  signers: Record<"rsa" | "ec", { p12: string; certPem: string; certDer: Uint8Array; serialHex: string }>;
  tsa: { certPem: string; keyPem: string; config: string };
  passphrase: string;
}

async function ssl(args: string[], cwd: string): Promise<string> {
  const r = await run(["openssl", ...args], { cwd });
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Makes the PKI in `dir` (a fresh temp folder). */
export async function makeTestPki(dir: string, passphrase = "s3cret pass"): Promise<TestPki> {
  const w = (name: string, text: string) => Bun.write(join(dir, name), text);
  await w("ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
  await w("leaf.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
  await w("tsa.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
  await ssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-days", "30", "-subj", "/CN=docctl Test Root CA/O=docctl tests", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  const issue = async (name: string, keyArgs: string[], subj: string, ca: string, ext: string) => {
    await ssl(["req", "-new", ...keyArgs, "-keyout", `${name}.key`, "-nodes", "-out", `${name}.csr`, "-subj", subj], dir);
    await ssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "30", "-extfile", ext], dir);
  };
  await issue("inter", ["-newkey", "rsa:2048"], "/CN=docctl Test Issuing CA/O=docctl tests", "root", "ca.ext");
  await issue("rsa", ["-newkey", "rsa:2048"], "/CN=ACME Werkzeuge GmbH/O=ACME/C=DE", "inter", "leaf.ext");
  await issue("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "/CN=ACME EC Signer/O=ACME/C=DE", "inter", "leaf.ext");
  await issue("tsa", ["-newkey", "rsa:2048"], "/CN=docctl Test TSA/O=docctl tests", "inter", "tsa.ext");
  await Bun.write(join(dir, "chain.pem"), (await Bun.file(join(dir, "inter.pem")).text()) + (await Bun.file(join(dir, "root.pem")).text()));
  const signers = {} as TestPki["signers"];
  for (const k of ["rsa", "ec"] as const) {
    await ssl(["pkcs12", "-export", "-inkey", `${k}.key`, "-in", `${k}.pem`, "-certfile", "chain.pem", "-out", `${k}.p12`, "-passout", `pass:${passphrase}`], dir);
    await ssl(["x509", "-in", `${k}.pem`, "-outform", "DER", "-out", `${k}.der`], dir);
    const serialHex = (await ssl(["x509", "-in", `${k}.pem`, "-noout", "-serial"], dir)).trim().replace(/^serial=/, "");
    signers[k] = { p12: join(dir, `${k}.p12`), certPem: join(dir, `${k}.pem`), certDer: await Bun.file(join(dir, `${k}.der`)).bytes(), serialHex };
  }
  await w("ts.cnf", [
    "[ tsa ]", "default_tsa = tsa1", "[ tsa1 ]", `serial = ${join(dir, "tsaserial")}`, "crypto_device = builtin", "signer_digest = sha256",
    "default_policy = 1.3.6.1.4.1.99999.1", "digests = sha256", "accuracy = secs:1", "ordering = yes", "tsa_name = yes", "ess_cert_id_alg = sha256", "",
  ].join("\n"));
  await w("tsaserial", "01\n");
  return {
    dir,
    rootPem: join(dir, "root.pem"),
    intermediatePem: join(dir, "inter.pem"),
    signers,
    tsa: { certPem: join(dir, "tsa.pem"), keyPem: join(dir, "tsa.key"), config: join(dir, "ts.cnf") },
    passphrase,
  };
}

let seq = 0;
/** A TimeStampResp made by `openssl ts -reply` for the TimeStampReq `query` (DER), signed by the test TSA, its chain included. */
export async function opensslTimestampReply(pki: TestPki, query: Uint8Array): Promise<Uint8Array> {
  const n = ++seq;
  const q = join(pki.dir, `q${n}.tsq`), r = join(pki.dir, `r${n}.tsr`);
  await Bun.write(q, query);
  await ssl(["ts", "-reply", "-config", pki.tsa.config, "-queryfile", q, "-signer", pki.tsa.certPem, "-inkey", pki.tsa.keyPem, "-chain", pki.intermediatePem, "-out", r], pki.dir);
  return Bun.file(r).bytes();
}

/** A TimeStampReq made by `openssl ts -query` over a SHA-256 digest (hex), with openssl's own random nonce. */
export async function opensslTimestampQuery(pki: TestPki, digestHex: string): Promise<Uint8Array> {
  const q = join(pki.dir, `own${++seq}.tsq`);
  await ssl(["ts", "-query", "-digest", digestHex, "-sha256", "-cert", "-out", q], pki.dir);
  return Bun.file(q).bytes();
}

/** The CMS (DER, placeholder zeros cut) and the signed bytes of the last signature in a PDF. */
export function extractSignature(pdf: Uint8Array): { cms: Uint8Array; content: Uint8Array; dict: string } {
  const text = Buffer.from(pdf).toString("latin1");
  const at = text.lastIndexOf("/ByteRange [");
  const [a, b, c, d] = text.slice(at + 12, text.indexOf("]", at)).trim().split(/\s+/).map(Number) as [number, number, number, number];
  // the whole file is covered but the /Contents hole
  if (a !== 0 || c + d !== pdf.length) throw new Error(`/ByteRange [${a} ${b} ${c} ${d}] does not cover the ${pdf.length}-byte file`);
  const der = Buffer.from(text.slice(b + 1, c - 1), "hex");
  if (der[0] !== 0x30) throw new Error("/Contents does not start with a DER SEQUENCE");
  const lenBytes = der[1]! & 0x7f;
  const len = der[1]! < 0x80 ? der[1]! : [...der.subarray(2, 2 + lenBytes)].reduce((s, x) => s * 256 + x, 0);
  const cms = new Uint8Array(der.subarray(0, (der[1]! < 0x80 ? 2 : 2 + lenBytes) + len));
  const dictStart = text.lastIndexOf("<<", at);
  return { cms, content: new Uint8Array(Buffer.concat([pdf.subarray(a, b), pdf.subarray(c, c + d)])), dict: text.slice(dictStart, b) + text.slice(c, text.indexOf(">>", c)) };
}

/** `openssl cms -verify` of a detached CMS over `content`, trusting only the root CA. */
export async function opensslCmsVerify(pki: TestPki, cms: Uint8Array, content: Uint8Array): Promise<{ code: number; stdout: string; stderr: string }> {
  const n = ++seq;
  const c = join(pki.dir, `v${n}.p7s`), d = join(pki.dir, `v${n}.bin`);
  await Bun.write(c, cms);
  await Bun.write(d, content);
  return run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", c, "-content", d, "-CAfile", pki.rootPem, "-out", "/dev/null"]);
}
