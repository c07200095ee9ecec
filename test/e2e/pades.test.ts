// PAdES signatures through the compiled binary: template put with a PKCS#12 asset, a worker, submit with
// sign (and sign.tsa against a fake RFC 3161 authority on 127.0.0.1), the PDF checked by pdfsig and
// openssl; a failing TSA ends as TIMESTAMP_FAILED after the retries, with no document and no secret
// in the worker's log.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startFakeTsa, type FakeTsa } from "../helpers/fake-tsa.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { makeBasePdf, run } from "../helpers/pdf.ts";
import { extractSignature, makeTestPki, opensslCmsVerify, type TestPki } from "../helpers/pki.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let worker: Background;
let pki: TestPki;
let tsa: FakeTsa;
const tmp = tempDir("docctl-pades-e2e-");
const out = tempDir("docctl-pades-out-");
const env = () => ({ DOCCTL_NATS_URL: nats.url });

beforeAll(async () => {
  pki = await makeTestPki(tmp.path, "e2e-P12-pass");
  tsa = startFakeTsa(pki);
  nats = await startNatsServer();
  const base = join(tmp.path, "base.pdf");
  await Bun.write(base, await makeBasePdf(1));
  await Bun.write(join(tmp.path, "layout.json"), "{}");
  const put = await docctl(["template", "put", "contract", base, "--layout", join(tmp.path, "layout.json"), "--asset", `signer.p12=${pki.signers.rsa.p12}`], { env: env() });
  expect(put.stderr).toBe("");
  expect(put.code).toBe(0);
  // one proc is enough; its start (fonts, templates) takes long on a loaded machine
  worker = spawnDocctl(["worker", "--handlers", "pdf", "--procs", "1", "-v"], { env: env() });
  await worker.waitFor(/pulling/, 100_000);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  await tsa?.stop();
  tmp.cleanup();
  out.cleanup();
});

const job = (id: string, sign: Record<string, unknown>) =>
  JSON.stringify({ handler: "pdf", id, payload: { template: "contract", data: {}, filename: `${id}.pdf`, sign: { certificate: "signer.p12", passphrase: pki.passphrase, ...sign } } });

test("sign with tsa: a PAdES B-T document that pdfsig and openssl accept", async () => {
  tsa.mode = "ok";
  const r = await docctl(["submit", "-", "--out", out.path, "--json"], { env: env(), stdin: job("bt-1", { tsa: tsa.url, reason: "Vertrag" }), timeoutMs: 90_000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const pdf = await Bun.file(join(out.path, "bt-1.pdf")).bytes();
  const sig = await run(["pdfsig", join(out.path, "bt-1.pdf")]);
  expect(sig.stdout).toContain("Signature Validation: Signature is Valid.");
  expect(sig.stdout).toContain("Signature Type: ETSI.CAdES.detached");
  const { cms, content } = extractSignature(pdf);
  expect((await opensslCmsVerify(pki, cms, content)).code).toBe(0);
  const p7s = join(tmp.path, "bt-1.p7s");
  await Bun.write(p7s, cms);
  const asn1 = await run(["openssl", "asn1parse", "-inform", "DER", "-in", p7s]);
  expect(asn1.stdout).toContain(":id-smime-aa-signingCertificateV2");
  expect(asn1.stdout).toContain(":id-smime-aa-timeStampToken");
  // the signer's own attributes (before the token, whose TSA attributes may carry a signing time) have none
  expect(asn1.stdout.slice(0, asn1.stdout.indexOf(":id-smime-aa-timeStampToken"))).not.toContain(":signingTime");
}, 120_000);

test("a TSA answering HTTP 500: retried, then a failed result TIMESTAMP_FAILED, no document, no secret in the log", async () => {
  tsa.mode = "http-500";
  tsa.requests.length = 0;
  const url = tsa.url.replace("http://", "http://acme:TsaPw-77@");
  const r = await docctl(["submit", "-", "--out", out.path, "--json"], { env: env(), stdin: job("bt-2", { tsa: url, tsaTimeoutMs: 5000 }), timeoutMs: 90_000 });
  tsa.mode = "ok";
  expect(r.code).toBe(1);
  const res = JSON.parse(r.stdout);
  expect(res).toMatchObject({ ok: false, attempts: 3, error: { code: "TIMESTAMP_FAILED", retryable: true } });
  expect(res.error.message).toContain(`time-stamp authority ${tsa.url} answered HTTP 500`);
  expect(res.output).toBeUndefined();
  expect(await Bun.file(join(out.path, "bt-2.pdf")).exists()).toBe(false);
  expect(tsa.requests).toHaveLength(3); // one per attempt
  for (const text of [r.stdout, r.stderr, worker.output()]) {
    expect(text).not.toContain("TsaPw-77");
    expect(text).not.toContain(pki.passphrase);
  }
}, 120_000);
