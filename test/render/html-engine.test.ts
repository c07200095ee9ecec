// The HTML engine with Debian's chromium; skipped with a visible message where it is not installed.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { HtmlEngine, fillHtml, findChromium } from "../../core/render/html-engine.ts";
import { Renderer } from "../../core/render/renderer.ts";
import { descendantCommands, makeBasePdf, pdfPages, pdfText, qpdfCheck } from "../helpers/pdf.ts";
import { eventually } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const EX = join(import.meta.dir, "../../examples/invoice");
const tmp = tempDir("docctl-html-");
afterAll(() => tmp.cleanup());
const found = findChromium();
const chromium = found && existsSync(found) ? found : null;
if (!chromium) console.warn(`SKIPPING the HTML engine tests that need Chromium: ${found ? `${found} does not exist` : "no chromium on the PATH"} (apt-get install chromium, or set DOCCTL_CHROMIUM)`);

const base = await Bun.file(join(EX, "base.pdf")).bytes();
const html = await Bun.file(join(EX, "invoice.html")).text();
const data = await Bun.file(join(EX, "data.json")).json();

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; retryable: boolean }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; retryable: boolean };
  }
  throw new Error("expected a failure");
}

describe("fillHtml and findChromium (no browser needed)", () => {
  test("placeholders are filled HTML-escaped", () => {
    expect(fillHtml("<p>{{name}}</p>", { name: "<b>Tom & Jerry</b>" })).toBe("<p>&lt;b&gt;Tom &amp; Jerry&lt;&#x2F;b&gt;</p>");
  });
  test("sections are conditionals: a missing section value is not an error", () => {
    expect(fillHtml("<p>{{a}}</p>{{#note}}<i>{{note}}</i>{{/note}}{{^paid}}unpaid{{/paid}}", { a: 1 })).toBe("<p>1</p>unpaid");
  });
  test("a placeholder the data lacks is MISSING_FIELD", () => {
    expect(() => fillHtml("<p>{{customer.name}}</p>", { customer: {} }, "inv.html")).toThrow("data.customer.name is missing (inv.html uses {{customer.name}})");
  });
  test("DOCCTL_CHROMIUM wins over the PATH, and nothing found is null", () => {
    expect(findChromium(undefined, { DOCCTL_CHROMIUM: "/opt/chrome/chrome" }, () => "/usr/bin/chromium")).toBe("/opt/chrome/chrome");
    expect(findChromium(undefined, {}, (c) => (c === "chromium-browser" ? "/usr/bin/chromium-browser" : null))).toBe("/usr/bin/chromium-browser");
    expect(findChromium(undefined, {}, () => null)).toBeNull();
  });
  test("without Chromium the HTML engine fails with CHROMIUM_MISSING and the layout engine keeps working", async () => {
    const r = new Renderer({ html: { chromium: "/nonexistent/chromium" } });
    const e = await failure(r.render({ name: "t", kind: "html", base, html, pages: 1 }, data));
    expect(e.code).toBe("CHROMIUM_MISSING");
    expect(e.message).toContain("apt-get install chromium");
    expect(e.message).toContain("DOCCTL_CHROMIUM");
    const layout = await Bun.file(join(EX, "layout.json")).json();
    const ok = await r.render({ name: "t", kind: "layout", base, layout, pages: 1 }, data);
    expect(ok.pages).toBe(1);
    await r.stop();
  });
});

describe.skipIf(!chromium)("HTML engine with Chromium", () => {
  const engine = new HtmlEngine();
  afterAll(async () => {
    await engine.stop();
  });

  test("the HTML invoice is printed and stamped over the base: both texts, accents, Greek, Cyrillic, €", async () => {
    const out = await engine.render(base, html, data);
    const path = join(tmp.path, "html.pdf");
    await Bun.write(path, out.bytes);
    await qpdfCheck(path);
    expect(out.pages).toBe(1);
    const text = await pdfText(path);
    for (const s of ["ACME Tools Ltd", "INVOICE", "Ørstedsvej 7, 2.tv", "Ελαιόλαδο εξαιρετικά παρθένο, 5 l", "Самовар электрический, 3 л", "€875.58", "Thank you for your business"])
      expect(text).toContain(s);
    // "Bill to" block at 50pt from the left, 103pt from the top
    expect(await pdfText(path, { box: { x: 45, y: 100, w: 270, h: 14 } })).toContain("Bill to");
  });

  test("the browser is reused: a second render works and data is escaped, not executed", async () => {
    const out = await engine.render(base, "<p style='position:absolute;top:300pt;left:60pt'>{{x}}</p>", { x: "<script>1</script> Ωμέγα" });
    const path = join(tmp.path, "html2.pdf");
    await Bun.write(path, out.bytes);
    expect(await pdfText(path)).toContain("<script>1</script> Ωμέγα");
  });

  test("HTML that runs onto more pages than the base gets copies of the base's last page", async () => {
    const long = `<div style="height:2000pt">{{a}}</div><p>end</p>`;
    const out = await engine.render(base, long, { a: "start" });
    const path = join(tmp.path, "html3.pdf");
    await Bun.write(path, out.bytes);
    await qpdfCheck(path);
    expect(out.pages).toBe(3);
    expect(await pdfPages(path)).toBe(3);
    expect(await pdfText(path, { page: 3 })).toContain("ACME Tools Ltd");
  });

  test("base pages the HTML did not print on are dropped", async () => {
    const three = await makeBasePdf(3);
    const out = await engine.render(three, "<p>{{a}}</p>", { a: "one page" });
    const path = join(tmp.path, "html-drop.pdf");
    await Bun.write(path, out.bytes);
    expect(out.pages).toBe(1);
    expect(await pdfPages(path)).toBe(1);
    expect(await pdfText(path)).toContain("BASE PAGE 1");
  });

  test("a job's signal stops a render in Chromium: the render fails with the abort reason and the page is closed", async () => {
    // a page heavy enough that loading and printing it takes a while
    const heavy = `<div>${"<p>{{a}} Ωμέγα Привет Zoë</p>".repeat(60_000)}</div>`;
    const ac = new AbortController();
    const reason = new Error("job timed out after 60000 ms");
    const started = performance.now();
    const rendering = engine.render(base, heavy, { a: "row" }, "heavy.html", ac.signal).then(
      () => "finished",
      (err) => err,
    );
    await eventually(() => engine.printing === 1, 30_000, "Chromium to start on the page");
    ac.abort(reason);
    expect(await rendering).toBe(reason);
    console.log(`aborted render returned after ${Math.round(performance.now() - started)} ms`);
    expect(engine.printing).toBe(0);
    // the browser itself is fine: the next render works
    const after = await engine.render(base, "<p>{{a}}</p>", { a: "after" });
    expect(after.pages).toBe(1);
  });

  test("stop() closes Chromium: no browser process is left, and the next render starts a new one", async () => {
    const running = () => descendantCommands().filter((c) => /chrom/i.test(c));
    expect(running().length).toBeGreaterThan(0);
    await engine.stop();
    expect(running()).toEqual([]);
    const again = await engine.render(base, "<p>{{a}}</p>", { a: "again" });
    expect(again.pages).toBe(1);
    await engine.stop();
    expect(running()).toEqual([]);
  });
});
