// The pdf handler against a real nats-server: template from the store, document through ctx.output.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import pdf, { configurePdf, createPdfHandler, pdfPayloadSchema } from "../../plugins/pdf/index.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { putTemplate } from "../../core/render/store.ts";
import type { JobContext, OutputRefV1 } from "../../core/runtime/protocol/types.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { pdfText, qpdfCheck } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";
import { silentLogger } from "../../core/runtime/util/log.ts";

const EX = join(import.meta.dir, "../../examples/invoice");
let server: NatsServerHandle;
let nc: NatsConnection;
const tmp = tempDir("docctl-pdfplugin-");

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ url: server.url });
  await putTemplate(nc, { name: "invoice", base: await Bun.file(join(EX, "base.pdf")).bytes(), layout: await Bun.file(join(EX, "layout.json")).json() });
});
afterAll(async () => {
  await nc?.close();
  await server?.cleanup();
  tmp.cleanup();
});

/** A JobContext whose output() keeps the document in memory. */
function fakeContext(id = "job-1") {
  const outputs: { bytes: Uint8Array; filename: string; contentType: string }[] = [];
  let beats = 0;
  const ctx: JobContext = {
    id,
    batch: id,
    handler: "pdf",
    attempt: 1,
    maxAttempts: 3,
    signal: new AbortController().signal,
    heartbeat: () => void beats++,
    async output(bytes, opts) {
      outputs.push({ bytes, ...opts });
      return { bucket: "test", name: id, size: bytes.length, sha256: "", content_type: opts.contentType, filename: opts.filename } satisfies OutputRefV1;
    },
    log: silentLogger(),
    worker: "test",
    progress: async () => {},
  };
  return { ctx, outputs, beats: () => beats };
}

async function failure(p: unknown): Promise<{ code: string; message: string; retryable: boolean }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; retryable: boolean };
  }
  throw new Error("expected a failure");
}

describe("pdf handler", () => {
  let handler: ReturnType<typeof createPdfHandler>;
  beforeAll(() => {
    handler = createPdfHandler({ nc });
  });
  afterAll(async () => {
    await handler.teardown?.();
  });

  test("the example job renders the invoice and stores it through ctx.output", async () => {
    const job = await Bun.file(join(EX, "job.json")).json();
    expect(job.handler).toBe("pdf");
    await handler.setup?.();
    const { ctx, outputs } = fakeContext();
    const result = await handler.handle(job.payload, ctx);
    expect(outputs).toHaveLength(1);
    expect(outputs[0].filename).toBe("invoice-1001.pdf");
    expect(outputs[0].contentType).toBe("application/pdf");
    expect(result).toMatchObject({ template: "invoice", pages: 1, bytes: outputs[0].bytes.length, filename: "invoice-1001.pdf" });
    expect(result.digest).toStartWith("SHA-256=");
    const path = join(tmp.path, "job.pdf");
    await Bun.write(path, outputs[0].bytes);
    await qpdfCheck(path);
    expect(await pdfText(path)).toContain("€875.58");
  });

  test("the file name defaults to template-jobid.pdf", async () => {
    const { ctx, outputs } = fakeContext("abc");
    await handler.handle({ template: "invoice", data: await Bun.file(join(EX, "data.json")).json() }, ctx);
    expect(outputs[0].filename).toBe("invoice-abc.pdf");
  });

  test("a missing template is TEMPLATE_NOT_FOUND, not retried", async () => {
    const e = await failure(handler.handle({ template: "nope", data: {} }, fakeContext().ctx));
    expect(e.code).toBe("TEMPLATE_NOT_FOUND");
    expect(e.retryable).toBe(false);
  });

  test("a new template version is used by the next job", async () => {
    const base = await Bun.file(join(EX, "base.pdf")).bytes();
    await putTemplate(nc, { name: "note", base, layout: { fields: [{ text: "version one", page: 1, x: 50, y: 300 }] } });
    const first = fakeContext();
    const r1 = await handler.handle({ template: "note", data: {} }, first.ctx);
    await putTemplate(nc, { name: "note", base, layout: { fields: [{ text: "version two", page: 1, x: 50, y: 300 }] } });
    const second = fakeContext();
    const r2 = await handler.handle({ template: "note", data: {} }, second.ctx);
    expect(r2.digest).not.toBe(r1.digest);
    const path = join(tmp.path, "note.pdf");
    await Bun.write(path, second.outputs[0].bytes);
    expect(await pdfText(path)).toContain("version two");
  });

  test("missing data is MISSING_FIELD naming the path", async () => {
    const e = await failure(handler.handle({ template: "invoice", data: { number: "1" } }, fakeContext().ctx));
    expect(e.code).toBe("MISSING_FIELD");
    expect(e.message).toBe("data.items is missing (tables[0].rows needs an array of rows)");
  });
});

describe("the default export", () => {
  test("without configurePdf it fails with a clear message; after it, it works", async () => {
    const e = await failure(Promise.resolve().then(() => pdf.handle({ template: "invoice", data: {} }, fakeContext().ctx)));
    expect(e.code).toBe("PDF_NOT_CONFIGURED");
    configurePdf({ nc });
    await pdf.setup?.();
    const { ctx, outputs } = fakeContext();
    await pdf.handle({ template: "invoice", data: await Bun.file(join(EX, "data.json")).json() }, ctx);
    expect(outputs).toHaveLength(1);
    await pdf.teardown?.();
  });

  test("the payload schema requires template and data", () => {
    expect(pdfPayloadSchema.required).toEqual(["template", "data"]);
    expect(pdf.schema).toBe(pdfPayloadSchema);
  });
});
