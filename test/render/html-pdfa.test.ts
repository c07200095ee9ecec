// The HTML engine's output gets the same document-level treatment: metadata, PDF/A-3b, factur-x.xml.
import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { HtmlEngine, findChromium } from "../../core/render/html-engine.ts";
import { generateCiiXml } from "../../core/render/einvoice.ts";
import { jobOutput } from "../../plugins/pdf/output.ts";
import { qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";

const FX = join(import.meta.dir, "../../examples/facturx");
const chromium = findChromium();
const have = !!chromium && existsSync(chromium);
if (!have) console.warn("SKIPPING html-pdfa.test.ts: no Chromium (apt-get install chromium, or set DOCCTL_CHROMIUM)");
const tmp = tempDir("docctl-html-pdfa-");
const engine = new HtmlEngine();
afterAll(async () => {
  await engine.stop();
  tmp.cleanup();
});

test.skipIf(!have)("an HTML template rendered as a Factur-X PDF/A-3b: Chromium's fonts embedded, metadata and XML in place", async () => {
  const job = (await Bun.file(join(FX, "job.json")).json()) as { payload: Record<string, any> };
  const xml = await generateCiiXml(job.payload.facturx.invoice, "EN 16931");
  const output = await jobOutput({ metadata: { title: "Rechnung HTML", lang: "de-DE" }, facturx: { profile: "EN 16931", xml } });
  const html = `<html><body style="margin:0;font-family:DejaVu Sans"><p style="position:absolute;top:120pt;left:50pt">Rechnung {{number}} — Grüße</p></body></html>`;
  const out = await engine.render(await Bun.file(join(FX, "base.pdf")).bytes(), html, { number: "INV-2026-0042" }, "page.html", undefined, output);
  const pdf = join(tmp.path, "html.pdf");
  await Bun.write(pdf, out.bytes);
  await qpdfCheck(pdf);
  const info = await run(["pdfinfo", pdf]);
  expect(info.stderr).toBe("");
  expect(info.stdout).toMatch(/^Title:\s+Rechnung HTML$/m);
  for (const row of (await run(["pdffonts", pdf])).stdout.trim().split("\n").slice(2)) expect(row.split(/\s+/).at(-5)).toBe("yes");
  expect((await run(["pdfdetach", "-list", pdf])).stdout).toContain("factur-x.xml");
  expect((await run(["pdfinfo", "-meta", pdf])).stdout).toContain("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>");
  expect((await run(["pdftotext", pdf, "-"])).stdout).toContain("Rechnung INV-2026-0042 — Grüße");
}, 120_000);
