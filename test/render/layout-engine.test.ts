// Renders real documents with the layout engine and checks them with qpdf and poppler's pdftotext.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { renderLayout } from "../../core/render/layout-engine.ts";
import { clearSubsetCache } from "../../core/render/pdf-font.ts";
import type { Layout } from "../../core/render/layout.ts";
import { makeBasePdf, pdfPages, pdfText, qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";

const EX = join(import.meta.dir, "../../examples/invoice");
const tmp = tempDir("docctl-render-");
afterAll(() => tmp.cleanup());

const invoiceBase = await Bun.file(join(EX, "base.pdf")).bytes();
const invoiceLayout: Layout = await Bun.file(join(EX, "layout.json")).json();
const invoiceData = await Bun.file(join(EX, "data.json")).json();

async function write(name: string, bytes: Uint8Array): Promise<string> {
  const p = join(tmp.path, name);
  await Bun.write(p, bytes);
  return p;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; retryable: boolean }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; retryable: boolean };
  }
  throw new Error("expected the render to fail");
}

describe("layout engine", () => {
  test("the example invoice renders with accents, Greek, Cyrillic and € where the layout put them", async () => {
    const out = await renderLayout(invoiceBase, invoiceLayout, invoiceData);
    expect(out.pages).toBe(1);
    const path = await write("invoice.pdf", out.bytes);
    await qpdfCheck(path);
    const all = await pdfText(path);
    for (const s of ["Société Générale d'Électricité — Zoë Müller", "Ørstedsvej 7, 2.tv", "Ελαιόλαδο εξαιρετικά παρθένο, 5 l", "Самовар электрический, 3 л", "Łódź hand-forged", "€875.58", "Page 1 of 1"])
      expect(all).toContain(s);
    // customer.name is placed at x 50, y 124 (top of the box), 11pt: look only inside that box
    const nameBox = await pdfText(path, { box: { x: 45, y: 122, w: 270, h: 15 } });
    expect(nameBox.trim()).toBe("Société Générale d'Électricité — Zoë Müller");
    // invoice number right-aligned to x 550 at y 110
    expect((await pdfText(path, { box: { x: 480, y: 108, w: 75, h: 12 } })).trim()).toBe("INV-1001");
    // the first row's amount sits in the amount column (x 460..550) at the table's top (y 240)
    expect((await pdfText(path, { box: { x: 458, y: 238, w: 97, h: 13 } })).trim()).toBe("€49.80");
    // and nothing of the table is above its top
    expect(await pdfText(path, { box: { x: 45, y: 200, w: 505, h: 36 } })).not.toContain("€");
  });

  test("eighty line items flow over several pages, totals after the last row", async () => {
    const items = Array.from({ length: 80 }, (_, i) => ({ ...invoiceData.items[i % 12], description: `Item ${i + 1}: ${invoiceData.items[i % 12].description}` }));
    const out = await renderLayout(invoiceBase, invoiceLayout, { ...invoiceData, items });
    const path = await write("invoice-80.pdf", out.bytes);
    await qpdfCheck(path);
    const n = out.pages;
    expect(n).toBeGreaterThanOrEqual(3);
    expect(await pdfPages(path)).toBe(n);
    const texts = await Promise.all(Array.from({ length: n }, (_, i) => pdfText(path, { page: i + 1 })));
    const [p1, p2, p3] = [texts[0], texts[1], texts[n - 1]];
    expect(p1).toContain("Item 1: ");
    expect(p1).toContain("Zoë Müller");
    expect(p1).not.toContain("Total");
    expect(p2).not.toContain("Zoë Müller"); // customer block is on the first page only
    expect(p2).toContain("INV-1001"); // repeated field
    expect(texts.findIndex((t) => t.includes("Item 80: "))).toBeGreaterThanOrEqual(n - 2); // the last rows, then totals
    expect(p3).toContain("€875.58");
    expect(p3).toContain(`Page ${n} of ${n}`);
    for (const t of texts.slice(0, -1)) expect(t).not.toContain("€875.58");
    // every item appears exactly once across the pages
    const all = texts.join("");
    for (let i = 1; i <= 80; i++) expect(all.match(new RegExp(`Item ${i}: `, "g"))?.length).toBe(1);
    // each continuation page starts at the table's top
    expect(await pdfText(path, { page: 2, box: { x: 45, y: 238, w: 300, h: 13 } })).toMatch(/Item \d+: /);
  });

  test("a continuation design (omitPages) is used only for the pages the table needs", async () => {
    const base = await makeBasePdf(2); // pages say "BASE PAGE 1" / "BASE PAGE 2"
    const layout: Layout = {
      omitPages: [2],
      tables: [{ rows: "items", page: 1, top: 100, bottom: 700, continuePage: 2, continueTop: 100, columns: [{ field: "d", x: 40, width: 300 }] }],
    };
    const one = await renderLayout(base, layout, { items: [{ d: "only row" }] });
    const onePath = await write("omit-1.pdf", one.bytes);
    await qpdfCheck(onePath);
    expect(one.pages).toBe(1);
    expect(await pdfText(onePath)).not.toContain("BASE PAGE 2");
    const many = await renderLayout(base, layout, { items: Array.from({ length: 100 }, (_, i) => ({ d: `row ${i + 1}` })) });
    const manyPath = await write("omit-many.pdf", many.bytes);
    await qpdfCheck(manyPath);
    expect(many.pages).toBe(3);
    expect(await pdfText(manyPath, { page: 1 })).toContain("BASE PAGE 1");
    for (const p of [2, 3]) expect(await pdfText(manyPath, { page: p })).toContain("BASE PAGE 2");
    expect(await pdfText(manyPath, { page: 3 })).toContain("row 100");
  });

  test("form fields are filled by name (Unicode included) and flattened", async () => {
    const doc = await PDFDocument.create();
    const page = doc.addPage([595, 842]);
    const helv = await doc.embedFont(StandardFonts.Helvetica);
    page.drawText("Name:", { x: 40, y: 760, size: 10, font: helv });
    const form = doc.getForm();
    const name = form.createTextField("CustomerName");
    name.addToPage(page, { x: 100, y: 750, width: 300, height: 20, borderWidth: 0 });
    const city = form.createTextField("city");
    city.addToPage(page, { x: 100, y: 720, width: 200, height: 20, borderWidth: 0 });
    const paid = form.createCheckBox("paid");
    paid.addToPage(page, { x: 100, y: 690, width: 12, height: 12 });
    const untouched = form.createTextField("untouched");
    untouched.addToPage(page, { x: 100, y: 660, width: 200, height: 20 });
    const base = await doc.save();

    const layout: Layout = { form: { fields: { CustomerName: "customer.name" } }, fields: [{ field: "total", page: 1, x: 40, y: 300 }] };
    const out = await renderLayout(base, layout, { customer: { name: "Ελένη Παπαδοπούλου" }, city: "Санкт-Петербург", paid: true, total: "€12.00" });
    const path = await write("form.pdf", out.bytes);
    await qpdfCheck(path);
    // 842 - 770 = 72: the name field's box from the top
    expect((await pdfText(path, { box: { x: 95, y: 70, w: 320, h: 24 } })).trim()).toBe("Ελένη Παπαδοπούλου");
    expect((await pdfText(path, { box: { x: 95, y: 100, w: 220, h: 24 } })).trim()).toBe("Санкт-Петербург");
    expect(await pdfText(path)).toContain("€12.00");
    const reread = await PDFDocument.load(out.bytes);
    expect(reread.getForm().getFields()).toHaveLength(0); // flattened
  });

  test("a check box takes true/false or its own on/off names, and refuses anything else", async () => {
    const doc = await PDFDocument.create();
    const page = doc.addPage([595, 842]);
    const box = doc.getForm().createCheckBox("paid");
    box.addToPage(page, { x: 100, y: 690, width: 12, height: 12 });
    const base = await doc.save();
    for (const ok of [true, false, "Yes", "Off"]) {
      const out = await renderLayout(base, {}, { paid: ok });
      expect(out.pages).toBe(1);
    }
    for (const bad of ["maybe", "yes", "no", "1"]) {
      const e = await failure(renderLayout(base, {}, { paid: bad }));
      expect(e.code).toBe("BAD_FIELD_VALUE");
      expect(e.message).toBe(`form field "paid": ${JSON.stringify(bad)} is not a value of this check box; give true or false, or its names "Yes" (ticked) or "Off"`);
    }
  });

  test("a form mapping that names a field the base lacks is BAD_LAYOUT", async () => {
    const doc = await PDFDocument.create();
    const page = doc.addPage([595, 842]);
    doc.getForm().createTextField("a").addToPage(page, { x: 10, y: 10, width: 50, height: 20 });
    const e = await failure(renderLayout(await doc.save(), { form: { fields: { b: "x" } } }, { x: 1 }));
    expect(e.code).toBe("BAD_LAYOUT");
    expect(e.message).toBe('layout: form.fields.b: the base PDF has no form field named "b" (it has: "a")');
  });

  test("a form mapping over a base without a form is BAD_LAYOUT too", async () => {
    const e = await failure(renderLayout(await makeBasePdf(1), { form: { fields: { Name: "x" } } }, { x: 1 }));
    expect(e.code).toBe("BAD_LAYOUT");
    expect(e.message).toBe('layout: form.fields.Name: the base PDF has no form field named "Name" (it has: none)');
  });

  test("documents share the parsed fonts without leaking into each other (Í before I, both extractable)", async () => {
    const base = await makeBasePdf(1);
    const layout: Layout = { fields: [{ field: "t", page: 1, x: 40, y: 100 }] };
    const first = await write("first.pdf", (await renderLayout(base, layout, { t: "Ísafjörður" })).bytes);
    const second = await write("second.pdf", (await renderLayout(base, layout, { t: "Item I, Петербург" })).bytes);
    expect(await pdfText(first)).toContain("Ísafjörður");
    expect(await pdfText(second)).toContain("Item I, Петербург");
  });

  test("documents rendered concurrently in one proc each get their own text", async () => {
    const base = await makeBasePdf(1);
    const layout: Layout = { fields: [{ field: "t", page: 1, x: 40, y: 100 }, { field: "u", page: 1, x: 40, y: 130, font: "sans-bold" }] };
    const texts = ["Ωμέγα", "Жёлтый", "Łódź", "Ærø", "Ψυχή", "Щука", "Çağ", "Ÿes"];
    const outs = await Promise.all(texts.map((t, i) => renderLayout(base, layout, { t: `${i} ${t}`, u: `${t} ${i}` })));
    for (const [i, out] of outs.entries()) {
      const text = await pdfText(await write(`conc-${i}.pdf`, out.bytes));
      expect(text).toContain(`${i} ${texts[i]}`);
      expect(text).toContain(`${texts[i]} ${i}`);
    }
  });

  test("a reused font subset draws exactly what a fresh one draws", async () => {
    const base = await makeBasePdf(1);
    const layout: Layout = { fields: [{ field: "t", page: 1, x: 40, y: 100, size: 30 }] };
    const raster = async (name: string, bytes: Uint8Array) => {
      const pdf = await write(`${name}.pdf`, bytes);
      const r = await run(["pdftoppm", "-r", "20", "-gray", "-singlefile", pdf, join(tmp.path, name)]);
      expect(r.code).toBe(0);
      return await Bun.file(join(tmp.path, `${name}.pgm`)).bytes();
    };
    clearSubsetCache();
    const greek = { t: "Ωμέγα Ξ ψ" };
    const cyrillic = { t: "Жёлтый Щ ю" };
    const g1 = await raster("g1", (await renderLayout(base, layout, greek)).bytes);
    const c1 = await raster("c1", (await renderLayout(base, layout, cyrillic)).bytes); // fresh: different extra glyphs
    const g2 = await raster("g2", (await renderLayout(base, layout, greek)).bytes); // from the cache
    clearSubsetCache();
    const c2 = await raster("c2", (await renderLayout(base, layout, cyrillic)).bytes); // fresh again
    expect(g2).toEqual(g1);
    expect(c2).toEqual(c1);
    expect(c1).not.toEqual(g1);
  });

  describe("bad input is a JobError with a precise message", () => {
    test("a layout field on a page the base lacks", async () => {
      const base = await makeBasePdf(2);
      const layout = { fields: [0, 1, 2].map(() => ({ text: "x", page: 1, x: 1, y: 1 })).concat([{ text: "x", page: 4, x: 1, y: 1 }]) };
      const e = await failure(renderLayout(base, layout as Layout, {}));
      expect(e.code).toBe("BAD_LAYOUT");
      expect(e.message).toBe("layout.json: fields[3].page: page 4 does not exist (the base PDF has 2 pages)");
      expect(e.retryable).toBe(false);
    });

    test("a data field the layout needs but the data lacks", async () => {
      const { customer, ...rest } = invoiceData;
      const e = await failure(renderLayout(invoiceBase, invoiceLayout, { ...rest, customer: { address: customer.address } }));
      expect(e.code).toBe("MISSING_FIELD");
      expect(e.message).toStartWith("data.customer.name is missing (fields[1] needs it");
    });

    test("a character the font lacks names the field", async () => {
      const e = await failure(renderLayout(invoiceBase, invoiceLayout, { ...invoiceData, customer: { ...invoiceData.customer, name: "東京 Trading" } }));
      expect(e.code).toBe("UNKNOWN_GLYPH");
      expect(e.message).toStartWith('fields[1] (field "customer.name"): characters "東" (U+6771), "京" (U+4EAC) are not in the font "sans-bold" (DejaVu Sans Bold)');
    });

    test("a base that is not a PDF", async () => {
      const e = await failure(renderLayout(new TextEncoder().encode("hello, I am not a PDF"), { fields: [] }, {}));
      expect(e.code).toBe("BAD_BASE_PDF");
      expect(e.message).toStartWith("base PDF is not a readable PDF:");
    });

    test("an empty base", async () => {
      const e = await failure(renderLayout(new Uint8Array(), { fields: [] }, {}));
      expect(e.code).toBe("BAD_BASE_PDF");
      expect(e.message).toBe("base PDF: the file is empty");
    });

    test("an encrypted base", async () => {
      const plain = await write("plain.pdf", await makeBasePdf(1));
      const enc = join(tmp.path, "enc.pdf");
      const r = await run(["qpdf", "--encrypt", "user", "owner", "256", "--", plain, enc]);
      expect(r.code).toBe(0);
      const e = await failure(renderLayout(await Bun.file(enc).bytes(), { fields: [] }, {}));
      expect(e.code).toBe("ENCRYPTED_PDF");
      expect(e.message).toContain("base PDF is encrypted");
      expect(e.message).toContain("qpdf --decrypt");
    });
  });
});
