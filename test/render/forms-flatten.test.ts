// Form filling and flattening: a valid cross-reference table afterwards (pdfinfo silent), and values in
// the layout's form fonts with fallback per value (CJK from a template font).
import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PDFDocument } from "pdf-lib";
import { renderLayout } from "../../core/render/layout-engine.ts";
import { FontSet, loadFonts } from "../../core/render/fonts.ts";
import { JobError } from "../../core/runtime/protocol/errors.ts";
import { pdfText, qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("docctl-forms-");
afterAll(() => tmp.cleanup());
const CJK = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"; // scripts/deps.sh installs it

async function formBase(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([400, 200]);
  const form = doc.getForm();
  form.createTextField("name").addToPage(page, { x: 20, y: 140, width: 300, height: 20 });
  form.createTextField("city").addToPage(page, { x: 20, y: 100, width: 300, height: 20 });
  form.createCheckBox("paid").addToPage(page, { x: 20, y: 60, width: 15, height: 15 });
  return await doc.save();
}

test("after flattening, no page names a deleted widget: pdfinfo and pdftotext print no XRef warning", async () => {
  const out = await renderLayout(await formBase(), { fields: [] }, { name: "Zoë Müller", city: "Wien", paid: true });
  const pdf = join(tmp.path, "flat.pdf");
  await Bun.write(pdf, out.bytes);
  await qpdfCheck(pdf);
  const info = await run(["pdfinfo", pdf]);
  expect(info.stderr).toBe("");
  expect(info.stdout).toMatch(/^Form:\s+none$/m);
  const text = await run(["pdftotext", pdf, "-"]);
  expect(text.stderr).toBe("");
  expect(text.stdout).toContain("Zoë Müller");
  expect(text.stdout).toContain("Wien");
});

test.skipIf(!existsSync(CJK))("form values use the layout's form fonts, each value in the first that has its characters", async () => {
  await loadFonts();
  const fonts = new FontSet([{ name: "cjk", bytes: await Bun.file(CJK).bytes() }]);
  const out = await renderLayout(await formBase(), { form: { font: ["sans", "cjk"] } }, { name: "東京都千代田区", city: "Zürich" }, { fonts });
  const pdf = join(tmp.path, "cjk.pdf");
  await Bun.write(pdf, out.bytes);
  expect((await run(["pdfinfo", pdf])).stderr).toBe("");
  const text = await pdfText(pdf);
  expect(text).toContain("東京都千代田区");
  expect(text).toContain("Zürich");
  const fontsList = (await run(["pdffonts", pdf])).stdout;
  expect(fontsList).toContain("DejaVuSans");
  expect(fontsList).toMatch(/Droid/i);
});

test("a value none of the form fonts has is UNKNOWN_GLYPH naming the field, the character and the fonts", async () => {
  try {
    await renderLayout(await formBase(), { form: { font: ["sans", "mono"] } }, { name: "東京" });
    throw new Error("rendered");
  } catch (err) {
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe("UNKNOWN_GLYPH");
    expect((err as Error).message).toStartWith('form field "name": character "東" (U+6771) is not in the fonts "sans", "mono"');
  }
});
