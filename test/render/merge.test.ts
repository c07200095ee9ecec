// The pdf job's `append`: stored templates rendered (or, with no data, their base as it is) and appended
// after the document; metadata and PDF/A then apply to the whole. Through the handler, on a real nats-server.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { PDFDocument } from "pdf-lib";
import { createPdfHandler } from "../../plugins/pdf/index.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { putTemplate } from "../../core/render/store.ts";
import type { JobContext, OutputRefV1 } from "../../core/runtime/protocol/types.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { pdfPages, pdfText, qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";

const FX = join(import.meta.dir, "../../examples/facturx");
const EX = join(import.meta.dir, "../../examples/invoice");
let server: NatsServerHandle;
let nc: NatsConnection;
const tmp = tempDir("docctl-merge-");

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ url: server.url });
  await putTemplate(nc, { name: "facturx", base: await Bun.file(join(FX, "base.pdf")).bytes(), layout: await Bun.file(join(FX, "layout.json")).json() });
  await putTemplate(nc, { name: "invoice", base: await Bun.file(join(EX, "base.pdf")).bytes(), layout: await Bun.file(join(EX, "layout.json")).json() });
  // "terms": a stored two-page PDF (its own text, fonts embedded), printed as it is
  const doc = await PDFDocument.create();
  const fontkit = (await import("@pdf-lib/fontkit")).default;
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(await Bun.file(join(import.meta.dir, "../../core/render/fonts/DejaVuSans.ttf")).bytes(), { subset: true });
  for (const n of [1, 2]) doc.addPage([595.28, 841.89]).drawText(`Allgemeine Geschäftsbedingungen, Seite ${n}`, { x: 50, y: 780, size: 12, font });
  await putTemplate(nc, { name: "terms", base: await doc.save(), layout: {} });
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await server?.cleanup();
  tmp.cleanup();
});

function context(id: string) {
  const outputs: Uint8Array[] = [];
  const ctx = {
    id, batch: id, handler: "pdf", attempt: 1, maxAttempts: 3, signal: new AbortController().signal, heartbeat() {}, worker: "test", progress: async () => {},
    log: { info() {}, warn() {}, error() {}, debug() {} },
    async output(bytes: Uint8Array, opts: { filename: string; contentType: string }) {
      outputs.push(bytes);
      return { bucket: "test", name: id, size: bytes.length, sha256: "", content_type: opts.contentType, filename: opts.filename } satisfies OutputRefV1;
    },
  } as unknown as JobContext;
  return { ctx, outputs };
}

test("a Factur-X invoice with the terms appended: one PDF/A-3b of three pages, fonts embedded, the XML attached", async () => {
  const h = createPdfHandler({ nc });
  const job = (await Bun.file(join(FX, "job.json")).json()) as { payload: Record<string, any> };
  const { ctx, outputs } = context("merge-1");
  const r = await h.handle({ ...job.payload, append: [{ template: "terms" }] } as never, ctx);
  expect(r.pages).toBe(3);
  const pdf = join(tmp.path, "merged.pdf");
  await Bun.write(pdf, outputs[0]);
  await qpdfCheck(pdf);
  expect(await pdfPages(pdf)).toBe(3);
  expect(await pdfText(pdf, { page: 1 })).toContain("INV-2026-0042");
  expect(await pdfText(pdf, { page: 3 })).toContain("Allgemeine Geschäftsbedingungen, Seite 2");
  const info = await run(["pdfinfo", pdf]);
  expect(info.stderr).toBe("");
  expect(info.stdout).toMatch(/^Title:\s+Rechnung INV-2026-0042$/m);
  for (const row of (await run(["pdffonts", pdf])).stdout.trim().split("\n").slice(2)) expect(row.split(/\s+/).at(-5)).toBe("yes");
  expect((await run(["pdfdetach", "-list", pdf])).stdout).toContain("factur-x.xml");
  expect((await run(["pdfinfo", "-meta", pdf])).stdout).toContain("<pdfaid:part>3</pdfaid:part>");
  await h.teardown?.();
}, 120_000);

test("a produced document appended: a second invoice rendered with its own data", async () => {
  const h = createPdfHandler({ nc });
  const data = await Bun.file(join(EX, "data.json")).json();
  const { ctx, outputs } = context("merge-2");
  const r = await h.handle({ template: "invoice", data, append: [{ template: "invoice", data: { ...data, number: "INV-COPY-7" } }] } as never, ctx);
  expect(r.pages).toBe(2);
  const pdf = join(tmp.path, "two.pdf");
  await Bun.write(pdf, outputs[0]);
  expect(await pdfText(pdf, { page: 2 })).toContain("INV-COPY-7");
  await h.teardown?.();
}, 120_000);

test("PDF/A over an appended document whose fonts are not embedded is refused, naming the page", async () => {
  const h = createPdfHandler({ nc });
  const job = (await Bun.file(join(FX, "job.json")).json()) as { payload: Record<string, any> };
  const data = await Bun.file(join(EX, "data.json")).json();
  const { ctx } = context("merge-3");
  try {
    await h.handle({ ...job.payload, append: [{ template: "invoice", data }] } as never, ctx);
    throw new Error("rendered");
  } catch (err) {
    expect((err as { code: string }).code).toBe("NOT_PDFA");
    expect((err as Error).message).toContain("Helvetica (page 2)");
  }
  await h.teardown?.();
}, 120_000);

test("encrypt: AES-256 with a user and an owner password and permissions, read by qpdf and poppler", async () => {
  const h = createPdfHandler({ nc });
  const data = await Bun.file(join(EX, "data.json")).json();
  const { ctx, outputs } = context("enc-1");
  await h.handle({ template: "invoice", data, encrypt: { ownerPassword: "owner-secret", userPassword: "open-me", permissions: { printing: "highResolution", copying: false, modifying: false } } } as never, ctx);
  const pdf = join(tmp.path, "enc.pdf");
  await Bun.write(pdf, outputs[0]);
  const show = await run(["qpdf", "--show-encryption", "--password=open-me", pdf]);
  expect(show.stdout).toContain("R = 6"); // AES-256
  expect(show.stdout).toContain("extract for any purpose: not allowed");
  expect(show.stdout).toContain("print high resolution: allowed");
  expect(show.stdout).toContain("modify anything: not allowed");
  expect((await run(["pdftotext", pdf, "-"])).code).not.toBe(0); // no password: not opened
  const opened = await run(["pdftotext", "-upw", "open-me", pdf, "-"]);
  expect(opened.stdout).toContain(data.number);
  expect((await run(["qpdf", "--check", "--password=owner-secret", pdf])).code).toBe(0);
  // PDF/A forbids encryption: refused before rendering
  const { ctx: c2 } = context("enc-2");
  try {
    await h.handle({ template: "invoice", data, pdfa: "2b", encrypt: { ownerPassword: "x" } } as never, c2);
    throw new Error("rendered");
  } catch (err) {
    expect((err as { code: string }).code).toBe("BAD_PAYLOAD");
    expect((err as Error).message).toContain("PDF/A (and so Factur-X) forbids encryption");
  }
  await h.teardown?.();
}, 120_000);

test("sign: a PAdES-style signature (ETSI.CAdES.detached) with a PKCS#12 stored with the template, valid per pdfsig", async () => {
  // a self-signed certificate made here, as PKCS#12 with the ciphers node-forge reads (-legacy)
  const dir = tmp.path;
  const key = join(dir, "k.pem"), crt = join(dir, "c.pem"), p12 = join(dir, "signer.p12");
  expect((await run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "30", "-subj", "/CN=ACME Werkzeuge GmbH/O=ACME/C=DE"])).code).toBe(0);
  const exp = await run(["openssl", "pkcs12", "-export", "-legacy", "-inkey", key, "-in", crt, "-out", p12, "-passout", "pass:s3cret"]);
  if (exp.code !== 0) expect((await run(["openssl", "pkcs12", "-export", "-inkey", key, "-in", crt, "-out", p12, "-passout", "pass:s3cret"])).code).toBe(0);
  await putTemplate(nc, {
    name: "signed",
    base: await Bun.file(join(EX, "base.pdf")).bytes(),
    layout: await Bun.file(join(EX, "layout.json")).json(),
    assets: [{ name: "signer.p12", bytes: await Bun.file(p12).bytes() }],
  });
  const h = createPdfHandler({ nc });
  const data = await Bun.file(join(EX, "data.json")).json();
  const { ctx, outputs } = context("sign-1");
  await h.handle({ template: "signed", data, sign: { certificate: "signer.p12", passphrase: "s3cret", reason: "Rechnung", location: "Berlin" } } as never, ctx);
  const pdf = join(tmp.path, "signed.pdf");
  await Bun.write(pdf, outputs[0]);
  await qpdfCheck(pdf);
  const sig = await run(["pdfsig", pdf]);
  expect(sig.stdout).toContain("Signer Certificate Common Name: ACME Werkzeuge GmbH");
  expect(sig.stdout).toContain("Signature Type: ETSI.CAdES.detached");
  expect(sig.stdout).toContain("Signature Validation: Signature is Valid.");
  expect(sig.stdout).toContain("Total document signed");
  // a changed byte inside the signed range (the header's binary comment, harmless to parsing) breaks it
  const bytes = new Uint8Array(outputs[0]);
  const at = new TextDecoder("latin1").decode(bytes.subarray(0, 20)).indexOf("\n%") + 2;
  expect(at).toBeGreaterThan(2);
  bytes[at] = bytes[at] === 0x82 ? 0x83 : 0x82;
  const bad = join(tmp.path, "tampered.pdf");
  await Bun.write(bad, bytes);
  expect((await run(["pdfsig", bad])).stdout).not.toContain("Signature Validation: Signature is Valid.");
  // a wrong passphrase: a clear failure that does not echo it
  const { ctx: c2 } = context("sign-2");
  try {
    await h.handle({ template: "signed", data, sign: { certificate: "signer.p12", passphrase: "wrong-pass" } } as never, c2);
    throw new Error("signed");
  } catch (err) {
    expect((err as { code: string }).code).toBe("BAD_FIELD_VALUE");
    expect((err as Error).message).toStartWith("payload.sign: the certificate cannot sign");
    expect((err as Error).message).not.toContain("wrong-pass");
  }
  await h.teardown?.();
}, 120_000);
