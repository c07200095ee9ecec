// The built-in fonts travel inside a `bun build --compile` binary: render from another directory.
import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pdfText, qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";
import { findChromium } from "../../core/render/html-engine.ts";

const ROOT = resolve(import.meta.dir, "../..");
const tmp = tempDir("docctl-compiled-");
afterAll(() => tmp.cleanup());

test("a compiled binary renders Latin, Greek, Cyrillic and (shaped by HarfBuzz's wasm) Arabic text with the fonts it carries", async () => {
  const script = join(import.meta.dir, "fixtures/render-one.ts");
  const bin = join(tmp.path, "render-one");
  const build = await run([process.execPath, "build", "--compile", "--asset-naming=[name].[ext]", script, "--outfile", bin], { cwd: ROOT });
  expect(build.stderr).not.toContain("error");
  expect(build.code).toBe(0);

  const elsewhere = tempDir("docctl-elsewhere-");
  try {
    const out = join(elsewhere.path, "out.pdf");
    const r = await run([bin, out], { cwd: elsewhere.path });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toStartWith("/$bunfs/"); // read from inside the binary, not from the repo
    await qpdfCheck(out);
    const text = await pdfText(out);
    expect(text.match(/Zoë € Ωμέγα Привет/g)?.length).toBe(2);
    expect(text).toContain("مرحبا بالعالم");
    expect(text).toContain("Formular ausgefüllt");
  } finally {
    elsewhere.cleanup();
  }
});

const chromium = findChromium();
const haveChromium = !!chromium && existsSync(chromium);
if (!haveChromium) console.warn("SKIPPING the compiled-binary HTML engine test: no Chromium (apt-get install chromium, or set DOCCTL_CHROMIUM)");

test.skipIf(!haveChromium)("a compiled (--minify) binary drives Chromium for the HTML engine", async () => {
  const bin = join(tmp.path, "render-html");
  const build = await run([process.execPath, "build", "--compile", "--minify", "--asset-naming=[name].[ext]", join(import.meta.dir, "fixtures/render-html.ts"), "--outfile", bin], { cwd: ROOT });
  expect(build.code).toBe(0);
  const elsewhere = tempDir("docctl-elsewhere-");
  try {
    const out = join(elsewhere.path, "html.pdf");
    const r = await run([bin, join(ROOT, "examples/invoice"), out], { cwd: elsewhere.path });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("1");
    await qpdfCheck(out);
    expect(await pdfText(out)).toContain("Ελαιόλαδο εξαιρετικά παρθένο");
  } finally {
    elsewhere.cleanup();
  }
});
