// PAdES baseline signatures (B-B, B-T) checked by readers that are not ours: openssl cms -verify over the
// extracted CMS and byte range (the chain from the CMS up to a root made here), openssl asn1parse for the
// signed attributes, openssl ts -verify for the time-stamp, pdfsig for the PDF. The time-stamp authority
// is a fake on 127.0.0.1 whose replies openssl ts -reply makes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { signatureRoom, signPdf } from "../../core/render/sign.ts";
import { readTimestampReply, timestampRequest } from "../../core/render/sign/tsa.ts";
import { putTemplate } from "../../core/render/store.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import type { JobContext, OutputRefV1 } from "../../core/runtime/protocol/types.ts";
import { createPdfHandler } from "../../plugins/pdf/index.ts";
import { startFakeTsa, type FakeTsa } from "../helpers/fake-tsa.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { makeBasePdf, qpdfCheck, run } from "../helpers/pdf.ts";
import { extractSignature as extract, makeTestPki, opensslTimestampReply, type TestPki } from "../helpers/pki.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("docctl-pades-");
let pki: TestPki;
let tsa: FakeTsa;
let base: Uint8Array;

beforeAll(async () => {
  pki = await makeTestPki(tmp.path);
  tsa = startFakeTsa(pki);
  base = await makeBasePdf(2);
}, 60_000);
afterAll(async () => {
  await tsa?.stop();
  tmp.cleanup();
});

let n = 0;
const file = async (bytes: Uint8Array, ext: string) => {
  const p = join(tmp.path, `out${++n}.${ext}`);
  await Bun.write(p, bytes);
  return p;
};

async function opensslVerify(cms: Uint8Array, content: Uint8Array) {
  return run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", await file(cms, "p7s"), "-content", await file(content, "bin"), "-CAfile", pki.rootPem, "-out", "/dev/null"]);
}

/** `openssl asn1parse` lines of a DER file. */
async function asn1parse(der: Uint8Array): Promise<string[]> {
  const r = await run(["openssl", "asn1parse", "-inform", "DER", "-in", await file(der, "der")]);
  expect(r.code).toBe(0);
  return r.stdout.split("\n");
}

const hexAfter = (lines: string[], from: number, kind: string) => {
  const i = lines.findIndex((l, j) => j > from && l.includes(kind));
  expect(i).toBeGreaterThan(from);
  return lines[i]!.slice(lines[i]!.lastIndexOf(":") + 1).trim();
};

describe("B-B", () => {
  for (const kind of ["rsa", "ec"] as const) {
    test(`${kind}: openssl verifies content and chain; signing-certificate-v2 names the signer; no signing-time; pdfsig says valid`, async () => {
      const signer = pki.signers[kind];
      const time = new Date("2026-03-04T05:06:07Z");
      const pdf = await signPdf(base, { p12: await Bun.file(signer.p12).bytes(), passphrase: pki.passphrase, reason: "Rechnung", location: "Berlin", time }, "payload.sign");
      const path = await file(pdf, "pdf");
      await qpdfCheck(path);
      const { cms, content, dict } = extract(pdf);
      expect(dict).toContain("/SubFilter /ETSI.CAdES.detached");
      expect(dict).toContain("/M (D:20260304050607Z)");

      // the signature over the byte range, and the chain: only the root is trusted, the intermediate comes from the CMS
      const v = await opensslVerify(cms, content);
      expect(v.stderr).toContain("Verification successful");
      expect(v.code).toBe(0);
      const certs = await run(["openssl", "pkcs7", "-inform", "DER", "-in", await file(cms, "p7s"), "-print_certs", "-noout"]);
      expect(certs.stdout.match(/^subject=/gm)?.length).toBe(3);
      // tampered content fails
      const bad = new Uint8Array(content);
      bad[bad.length - 10] ^= 1;
      expect((await opensslVerify(cms, bad)).code).not.toBe(0);

      // signed attributes: content-type, message-digest, signing-certificate-v2 (hash and serial of the signer); no signing-time
      const lines = await asn1parse(cms);
      const attr = lines.findIndex((l) => l.includes(":id-smime-aa-signingCertificateV2"));
      expect(attr).toBeGreaterThan(0);
      expect(hexAfter(lines, attr, "OCTET STRING")).toBe(createHash("sha256").update(signer.certDer).digest("hex").toUpperCase());
      expect(BigInt(`0x${hexAfter(lines, attr, "INTEGER")}`)).toBe(BigInt(`0x${signer.serialHex}`));
      expect(lines.some((l) => l.includes(":contentType"))).toBe(true);
      expect(lines.some((l) => l.includes(":messageDigest"))).toBe(true);
      expect(lines.some((l) => l.includes(":signingTime") || l.includes("1.2.840.113549.1.9.5"))).toBe(false);
      expect(lines.some((l) => l.includes(kind === "rsa" ? ":sha256WithRSAEncryption" : ":ecdsa-with-SHA256"))).toBe(true);

      const sig = await run(["pdfsig", path]);
      expect(sig.stdout).toContain("Signer Certificate Common Name: " + (kind === "rsa" ? "ACME Werkzeuge GmbH" : "ACME EC Signer"));
      expect(sig.stdout).toContain("Signature Type: ETSI.CAdES.detached");
      expect(sig.stdout).toContain("Signature Validation: Signature is Valid.");
      expect(sig.stdout).toContain("Total document signed");
      expect(sig.stdout).toContain("Signing Time: Mar 04 2026");
    }, 60_000);
  }

  test("a wrong passphrase, a PKCS#12 without key, or one with an unsupported key: BAD_FIELD_VALUE naming why, passphrase not echoed", async () => {
    const p12 = await Bun.file(pki.signers.rsa.p12).bytes();
    const fail = async (o: { p12: Uint8Array; passphrase: string }) => {
      try {
        await signPdf(base, o, "payload.sign");
      } catch (err) {
        return err as { code: string; message: string };
      }
      throw new Error("signed");
    };
    const wrong = await fail({ p12, passphrase: "not-the-pass" });
    expect(wrong.code).toBe("BAD_FIELD_VALUE");
    expect(wrong.message).toStartWith("payload.sign: the certificate cannot sign: the passphrase does not open it");
    expect(wrong.message).not.toContain("not-the-pass");
    // certificates only
    const certsOnly = join(tmp.path, "certs-only.p12");
    expect((await run(["openssl", "pkcs12", "-export", "-nokeys", "-in", pki.signers.rsa.certPem, "-out", certsOnly, "-passout", "pass:x"])).code).toBe(0);
    expect((await fail({ p12: await Bun.file(certsOnly).bytes(), passphrase: "x" })).message).toContain("holds no private key");
    // an Ed25519 key: neither RSA nor P-256
    const ed = (f: string) => join(tmp.path, f);
    expect((await run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", ed("ed.key"), "-out", ed("ed.pem"), "-days", "2", "-subj", "/CN=ed"])).code).toBe(0);
    expect((await run(["openssl", "pkcs12", "-export", "-inkey", ed("ed.key"), "-in", ed("ed.pem"), "-out", ed("ed.p12"), "-passout", "pass:x"])).code).toBe(0);
    expect((await fail({ p12: await Bun.file(ed("ed.p12")).bytes(), passphrase: "x" })).message).toContain("its key is ed25519; signatures take an RSA or an ECDSA P-256 key");
  }, 60_000);
});

test("signatureRoom: even (an odd placeholder would shift the xref), larger with a time-stamp", () => {
  for (const certs of [0, 1, 1001, 4095]) {
    expect(signatureRoom(certs, false) % 2).toBe(0);
    expect(signatureRoom(certs, false)).toBeGreaterThanOrEqual(certs + 4096);
    expect(signatureRoom(certs, true)).toBeGreaterThanOrEqual(signatureRoom(certs, false) + 16_384);
  }
});

describe("B-T", () => {
  test("the signature carries a time-stamp token whose imprint is the SHA-256 of the signature value (openssl ts -verify)", async () => {
    tsa.mode = "ok";
    tsa.requests.length = 0;
    const pdf = await signPdf(base, { p12: await Bun.file(pki.signers.rsa.p12).bytes(), passphrase: pki.passphrase, tsa: tsa.url }, "payload.sign");
    expect(tsa.requests).toHaveLength(1);
    expect(tsa.requests[0]!.contentType).toBe("application/timestamp-query");
    const path = await file(pdf, "pdf");
    await qpdfCheck(path);
    const { cms, content } = extract(pdf);
    expect((await opensslVerify(cms, content)).code).toBe(0);
    const lines = await asn1parse(cms);
    const ts = lines.findIndex((l) => l.includes(":id-smime-aa-timeStampToken"));
    expect(ts).toBeGreaterThan(0);
    // the signer's signature value: the last OCTET STRING before the unsigned attributes ([1])
    const unsigned = lines.findLastIndex((l, i) => i < ts && l.includes("cont [ 1 ]"));
    const sigLine = lines.slice(0, unsigned).findLast((l) => l.includes("prim: OCTET STRING"))!;
    const sigValue = Buffer.from(sigLine.slice(sigLine.lastIndexOf(":") + 1).trim(), "hex");
    expect(sigValue.length).toBe(256); // RSA-2048
    // the token: the SEQUENCE inside the attribute's SET (offset and lengths from asn1parse)
    const tokenLine = lines.slice(ts + 1).find((l) => l.includes("cons: SEQUENCE"))!;
    const m = /^\s*(\d+):d=\s*\d+\s+hl=\s*(\d+)\s+l=\s*(\d+)/.exec(tokenLine)!;
    const off = Number(m[1]), len = Number(m[2]) + Number(m[3]);
    const token = cms.subarray(off, off + len);
    const v = await run(["openssl", "ts", "-verify", "-data", await file(sigValue, "sig"), "-in", await file(token, "tst"), "-token_in", "-CAfile", pki.rootPem, "-untrusted", pki.intermediatePem]);
    expect(v.stdout + v.stderr).toContain("Verification: OK");
    // and over anything else it does not verify
    const other = await run(["openssl", "ts", "-verify", "-data", await file(content, "bin"), "-in", await file(token, "tst"), "-token_in", "-CAfile", pki.rootPem, "-untrusted", pki.intermediatePem]);
    expect(other.stdout + other.stderr).not.toContain("Verification: OK");
    const sig = await run(["pdfsig", path]);
    expect(sig.stdout).toContain("Signature Validation: Signature is Valid.");
    expect(sig.stdout).toContain("Signature Type: ETSI.CAdES.detached");
  }, 60_000);

  test("readTimestampReply (no I/O): a reply for our request passes; another imprint or nonce is refused by name", async () => {
    const stamped = new TextEncoder().encode("signature value");
    const imprint = new Uint8Array(createHash("sha256").update(stamped).digest());
    const nonce = new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]);
    const reply = await opensslTimestampReply(pki, await timestampRequest(imprint, nonce));
    const token = await readTimestampReply(reply, stamped, nonce);
    expect(token[0]).toBe(0x30);
    await expect(readTimestampReply(reply, stamped, new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf1]))).rejects.toThrow("the time-stamp answers another request: nonce 123456789abcdef0, expected 123456789abcdef1");
    await expect(readTimestampReply(reply, new TextEncoder().encode("something else"), nonce)).rejects.toThrow("the time-stamp is for other data");
    await expect(readTimestampReply(new Uint8Array([1, 2, 3]), stamped, nonce)).rejects.toThrow("the reply is not an RFC 3161 TimeStampResp");
    // a token whose TSTInfo was changed after signing: its signature no longer verifies
    // the policy OID 1.3.6.1.4.1.99999.1 as DER
    const i = Buffer.from(reply).indexOf(Buffer.from([0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x01]));
    expect(i).toBeGreaterThan(0);
    const forged = new Uint8Array(reply);
    forged[i + 10] ^= 0x02; // the policy OID's last arc
    await expect(readTimestampReply(forged, stamped, nonce)).rejects.toThrow("the time-stamp token does not verify");
  }, 60_000);

  const failures: [string, FakeTsa["mode"] | "down", boolean, string][] = [
    ["a TSA that is down", "down", true, "cannot be reached"],
    ["HTTP 500", "http-500", true, "answered HTTP 500"],
    ["a reply that is not a TimeStampResp", "garbage", false, "the reply is not an RFC 3161 TimeStampResp"],
    ["a refused request", "rejection", false, "the TSA refused the request: status rejection (unaccepted policy)"],
    ["a reply to another request (nonce)", "wrong-nonce", false, "the time-stamp answers another request"],
    ["a reply for other data (imprint)", "wrong-imprint", false, "the time-stamp is for other data"],
    ["a TSA that never answers", "hang", true, "did not answer within 1500 ms"],
  ];
  for (const [what, mode, retryable, says] of failures) {
    test(`${what}: TIMESTAMP_FAILED (${retryable ? "retryable" : "not retryable"}), no document`, async () => {
      let url = tsa.url;
      if (mode === "down") {
        const gone = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
        url = `http://127.0.0.1:${gone.port}/tsr`;
        await gone.stop(true);
      } else tsa.mode = mode;
      const started = Date.now();
      let err: { code: string; message: string; retryable: boolean } | undefined;
      try {
        await signPdf(base, { p12: await Bun.file(pki.signers.rsa.p12).bytes(), passphrase: pki.passphrase, tsa: url, tsaTimeoutMs: mode === "hang" ? 1500 : 45_000 }, "payload.sign");
      } catch (e) {
        err = e as typeof err;
      }
      expect(err?.code).toBe("TIMESTAMP_FAILED");
      expect(err?.retryable).toBe(retryable);
      expect(err?.message).toStartWith(`payload.sign.tsa: no time-stamp, so no signature: time-stamp authority ${url}`);
      expect(err?.message).toContain(says);
      if (mode === "hang") expect(Date.now() - started).toBeLessThan(30_000); // bounded by the deadline, not hung
      tsa.mode = "ok";
    }, 60_000);
  }
});

describe("through the pdf handler, on a real nats-server", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url });
    await putTemplate(nc, { name: "signed", base, layout: {}, assets: [{ name: "signer.p12", bytes: await Bun.file(pki.signers.ec.p12).bytes() }] });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await server?.cleanup();
  });
  function context(id: string) {
    const outputs: Uint8Array[] = [];
    const logged: string[] = [];
    const log = (m: string, f?: unknown) => void logged.push(`${m} ${JSON.stringify(f ?? {})}`);
    const ctx = {
      id, batch: id, handler: "pdf", attempt: 1, maxAttempts: 3, signal: new AbortController().signal, heartbeat() {}, worker: "test", progress: async () => {},
      log: { info: log, warn: log, error: log, debug: log },
      async output(bytes: Uint8Array, opts: { filename: string; contentType: string }) {
        outputs.push(bytes);
        return { bucket: "test", name: id, size: bytes.length, sha256: "", content_type: opts.contentType, filename: opts.filename } satisfies OutputRefV1;
      },
    } as unknown as JobContext;
    return { ctx, outputs, logged };
  }

  test("sign.tsa with credentials: B-T document out, Basic auth sent, the TSA password in no error", async () => {
    const h = createPdfHandler({ nc });
    tsa.mode = "ok";
    tsa.requests.length = 0;
    const authed = tsa.url.replace("http://", "http://docctl:tsa-Secret-9@");
    const { ctx, outputs } = context("pades-1");
    await h.handle({ template: "signed", data: {}, sign: { certificate: "signer.p12", passphrase: pki.passphrase, tsa: authed } } as never, ctx);
    expect(tsa.requests[0]!.authorization).toBe(`Basic ${Buffer.from("docctl:tsa-Secret-9").toString("base64")}`);
    const { cms, content } = extract(outputs[0]!);
    expect((await opensslVerify(cms, content)).code).toBe(0);
    expect((await asn1parse(cms)).some((l) => l.includes(":id-smime-aa-timeStampToken"))).toBe(true);
    expect((await run(["pdfsig", await file(outputs[0]!, "pdf")])).stdout).toContain("Signature is Valid.");

    tsa.mode = "http-500";
    const { ctx: c2, outputs: o2, logged } = context("pades-2");
    const err = await Promise.resolve(h.handle({ template: "signed", data: {}, sign: { certificate: "signer.p12", passphrase: pki.passphrase, tsa: authed } } as never, c2)).then(
      () => undefined,
      (e: Error) => e,
    );
    tsa.mode = "ok";
    expect((err as { code?: string })?.code).toBe("TIMESTAMP_FAILED");
    expect(err!.message).toContain(`time-stamp authority ${tsa.url} answered HTTP 500`);
    for (const text of [err!.message, String((err as { cause?: Error }).cause?.message), ...logged]) {
      expect(text).not.toContain("tsa-Secret-9");
      expect(text).not.toContain(pki.passphrase);
    }
    expect(o2).toHaveLength(0); // never an unstamped document
    await h.teardown?.();
  }, 120_000);
});
