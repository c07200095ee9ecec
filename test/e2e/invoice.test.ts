// The README's invoice demo through the compiled binary: template put, submit, the PDF on disk, checked by qpdf and pdftotext.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, ROOT, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let worker: Background;
const out = tempDir();
const env = () => ({ DOCCTL_NATS_URL: nats.url });

beforeAll(async () => {
  nats = await startNatsServer();
  worker = spawnDocctl(["worker", "--handlers", "pdf", "-v"], { env: env() });
  await worker.waitFor(/pulling/);
});
afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  out.cleanup();
});

test("template put + submit --out writes an invoice PDF that qpdf accepts and pdftotext can read", async () => {
  const put = await docctl(["template", "put", "invoice", join(ROOT, "examples/invoice/base.pdf"), "--layout", join(ROOT, "examples/invoice/layout.json")], { env: env() });
  expect(put.code).toBe(0);
  expect((await docctl(["template", "ls"], { env: env() })).stdout).toContain("invoice");
  const r = await docctl(["submit", join(ROOT, "examples/invoice/job.json"), "--out", out.path, "--json"], { env: env() });
  expect(r.code).toBe(0);
  const res = JSON.parse(r.stdout);
  expect(res.output).toMatchObject({ content_type: "application/pdf", filename: "invoice-1001.pdf" });
  const pdf = join(out.path, "invoice-1001.pdf");
  const check = Bun.spawnSync(["qpdf", "--check", pdf]);
  expect(check.exitCode).toBe(0);
  const text = Bun.spawnSync(["pdftotext", "-layout", pdf, "-"]).stdout.toString();
  expect(text).toContain("INV-1001");
  expect(text).toContain("Zoë Müller");
  expect(text).toContain("€");
  expect(text).toContain("Заказ");
});

test("a missing template is a failed result naming it, not a crash", async () => {
  const r = await docctl(["submit", "-", "--json"], { env: env(), stdin: JSON.stringify({ handler: "pdf", payload: { template: "nosuch", data: {} } }) });
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, attempts: 1, error: { code: "TEMPLATE_NOT_FOUND", message: expect.stringContaining("nosuch") } });
  const again = await docctl(["submit", join(ROOT, "examples/invoice/job.json"), "--json"], { env: env() });
  expect(again.code).toBe(0);
});
