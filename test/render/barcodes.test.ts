// Barcodes that scan: each kind rendered to a PDF, rasterised by poppler (pdftoppm) and decoded by
// independent decoders: ZXing (zxing-wasm, a devDependency) and zbar (zbarimg, where it reads the kind).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PDFDocument } from "pdf-lib";
import { prepareZXingModule, readBarcodes, type ReadResult } from "zxing-wasm/reader";
import { renderLayout } from "../../core/render/layout-engine.ts";
import { codePath, encode, loadEncoders } from "../../core/render/codes.ts";
import { layoutProblems, type FieldSpec, type Layout } from "../../core/render/layout.ts";
import { pdfText, qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("docctl-barcodes-");
afterAll(() => tmp.cleanup());

beforeAll(async () => {
  // the wasm from the package itself (zxing-wasm would fetch it from a CDN otherwise)
  const wasm = join(import.meta.dir, "../../node_modules/zxing-wasm/dist/reader/zxing_reader.wasm");
  await prepareZXingModule({ overrides: { wasmBinary: await Bun.file(wasm).arrayBuffer() }, fireImmediately: true });
  await loadEncoders();
});

let n = 0;
/** Renders fields on a 4 x 6 inch label and returns the PDF and a 300 dpi PNG of it. */
async function label(fields: FieldSpec[], size: [number, number] = [288, 432]): Promise<{ pdf: string; png: string }> {
  const doc = await PDFDocument.create();
  doc.addPage(size);
  const out = await renderLayout(await doc.save(), { fields } as Layout, {});
  const base = join(tmp.path, `label-${++n}`);
  await Bun.write(`${base}.pdf`, out.bytes);
  const r = await run(["pdftoppm", "-r", "300", "-png", "-singlefile", `${base}.pdf`, base]);
  expect(r.code).toBe(0);
  await qpdfCheck(`${base}.pdf`);
  return { pdf: `${base}.pdf`, png: `${base}.png` };
}

async function zxing(png: string, formats: string[]): Promise<ReadResult[]> {
  return await readBarcodes(new Uint8Array(await Bun.file(png).arrayBuffer()), { formats: formats as never, tryHarder: true, maxNumberOfSymbols: 4 });
}

describe("each kind decodes with an independent decoder", () => {
  test("PDF417 (ZXing), with rows three modules tall", async () => {
    const { png } = await label([{ kind: "barcode", type: "pdf417", text: "SHIP TO: ACME GmbH, Hauptstr. 12, 10115 Berlin", page: 1, x: 20, y: 40, width: 248, height: 120 }]);
    const [r] = await zxing(png, ["PDF417"]);
    expect(r?.text).toBe("SHIP TO: ACME GmbH, Hauptstr. 12, 10115 Berlin");
  });

  test("GS1-128 / SSCC (ZXing and zbar), the AIs read back with their FNC1", async () => {
    const { png } = await label([{ kind: "barcode", type: "gs1-128", text: "(00)340123450000000017", page: 1, x: 20, y: 40, width: 248, height: 80, showText: true }]);
    const [r] = await zxing(png, ["Code128"]);
    expect(r?.text).toBe("(00)340123450000000017");
    expect(r?.symbologyIdentifier).toBe("]C1"); // GS1-128: FNC1 in first position
    const z = await run(["zbarimg", "-q", "--raw", png]);
    expect(z.stdout.trim()).toBe("00340123450000000017");
  });

  test("Aztec (ZXing)", async () => {
    const { png } = await label([{ kind: "barcode", type: "aztec", text: "Rückschein 4711 — Zürich", page: 1, x: 60, y: 60, width: 150, height: 150 }]);
    const [r] = await zxing(png, ["Aztec"]);
    expect(r?.text).toBe("Rückschein 4711 — Zürich");
  });

  test("GS1 DataMatrix (ZXing)", async () => {
    const { png } = await label([{ kind: "barcode", type: "gs1datamatrix", text: "(01)09521234543213(17)271231(10)ABC123", page: 1, x: 60, y: 60, width: 120, height: 120 }]);
    const [r] = await zxing(png, ["DataMatrix"]);
    expect(r?.text).toBe("(01)09521234543213(17)271231(10)ABC123"); // ZXing gives GS1 data in its human-readable form
    expect(r?.symbologyIdentifier).toBe("]d2"); // GS1 DataMatrix
  });

  test("UPC-E and Codabar (ZXing and zbar)", async () => {
    const { png } = await label([
      { kind: "barcode", type: "upce", text: "01234565", page: 1, x: 40, y: 40, width: 150, height: 70 },
      { kind: "barcode", type: "codabar", text: "A40156B", page: 1, x: 40, y: 200, width: 200, height: 70 },
    ]);
    const found = await zxing(png, ["UPCE", "Codabar"]);
    // ZXing gives UPC-E expanded to its 13 digits (UPC-A 012345000065)
    expect(found.map((r) => `${r.format}:${r.text}`).sort()).toEqual(["Codabar:A40156B", "UPCE:0012345000065"]);
    const z = await run(["zbarimg", "-q", png]);
    // zbar too reads the UPC-E as its expanded EAN-13, and the Codabar
    expect(z.stdout).toContain("EAN-13:0012345000065");
    expect(z.stdout).toContain("Codabar:A40156B");
  });

  test("MaxiCode is drawn as hexagons around its bullseye, in proportion", async () => {
    const e = encode("maxicode", "Hello MaxiCode", {}, "test");
    expect(e.kind).toBe("maxi");
    const path = codePath(e, 0, 100, 100, 100, (x) => x.toFixed(3));
    // one closed hexagon (m + 5 l + h) per dark module, and six circles of four curves
    expect(path.match(/ m /g)!.length).toBe((e as { dark: number[] }).dark.length + 6);
    expect(path.match(/ c /g)!.length).toBe(24);
    expect(path).toContain("f*");
    const { png } = await label([{ kind: "barcode", type: "maxicode", text: "Hello MaxiCode", page: 1, x: 60, y: 60, width: 84, height: 80 }]);
    const r = await zxing(png, ["MaxiCode"]);
    // ZXing reads MaxiCode only from "pure" images; report what it made of this one
    if (r[0]) expect(r[0].text).toContain("Hello MaxiCode");
  });
});

describe("EAN/UPC human-readable text in the GS1 layout", () => {
  test("EAN-13: the first digit left of the bars, six under each half, guard bars reaching down between them; it scans", async () => {
    const { pdf, png } = await label([
      { kind: "barcode", type: "ean13", text: "400638133393", page: 1, x: 40, y: 40, width: 190, height: 90, showText: true },
      { kind: "barcode", type: "upca", text: "03600029145", page: 1, x: 40, y: 200, width: 190, height: 90, showText: true },
    ]);
    const z = await run(["zbarimg", "-q", png]);
    expect(z.stdout).toContain("EAN-13:4006381333931"); // the check digit added
    expect(z.stdout).toContain("EAN-13:0036000291452"); // zbar reads UPC-A as its EAN-13
    const words = [...(await run(["pdftotext", "-bbox", pdf, "-"])).stdout.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<\/word>/g)]
      .map((m) => ({ x0: Number(m[1]), x1: Number(m[3]), y1: Number(m[4]), text: m[5] }))
      .filter((w) => w.y1 < 140);
    // each digit is its own word, in order, all inside the box's bottom band
    expect(words.map((w) => w.text).join("")).toBe("4006381333931");
    // EAN-13: 7 quiet modules for the first digit + 95 modules; the bars start at 40 + 7 * 190 / 102
    const barsStart = 40 + (7 * 190) / 102;
    expect(words[0].x1).toBeLessThan(barsStart);
    expect(words[1].x0).toBeGreaterThan(barsStart);
    for (const w of words) expect(w.y1).toBeLessThanOrEqual(133); // the digits' boxes (with their descent) at the box's foot
  });
});

describe("PDF417 geometry", () => {
  test("every row is three modules tall (the standard's minimum), not one", () => {
    const e = encode("pdf417", "Hello PDF417 123", {}, "test");
    const path = codePath(e, 0, 1000, 1000, 1000, (x) => String(x));
    const rects = [...path.matchAll(/(\S+) (\S+) (\S+) (\S+) re/g)].map((m) => ({ w: Number(m[3]), h: Number(m[4]) }));
    const module = Math.min(...rects.map((r) => r.w));
    for (const r of rects) expect(r.h / module).toBeCloseTo(3, 5);
  });
});

describe("rotation", () => {
  test("a 4x6 label turned 90°: the barcode decodes turned, the text reads top to bottom, both inside their box", async () => {
    const { pdf, png } = await label([
      { kind: "barcode", type: "code128", text: "PKG-2026-0042", page: 1, x: 150, y: 40, width: 300, height: 90, rotate: 90, showText: true, size: 12 },
      { text: "SHIP TO: ACME GmbH", page: 1, x: 40, y: 40, size: 18, rotate: 90 },
    ]);
    const [r] = await zxing(png, ["Code128"]);
    expect(r?.text).toBe("PKG-2026-0042");
    expect(Math.abs(Math.abs(r!.orientation) - 90)).toBeLessThan(3); // bars turned a quarter
    // the turned box is (height + text) wide and 300 tall, from (150, 40): all of it on the label, right of the text
    const xs = [r!.position.topLeft.x, r!.position.topRight.x, r!.position.bottomLeft.x, r!.position.bottomRight.x].map((px) => (px * 72) / 300);
    const ys = [r!.position.topLeft.y, r!.position.topRight.y, r!.position.bottomLeft.y, r!.position.bottomRight.y].map((px) => (px * 72) / 300);
    expect(Math.min(...xs)).toBeGreaterThan(149);
    expect(Math.max(...xs)).toBeLessThan(150 + 90 + 20);
    expect(Math.min(...ys)).toBeGreaterThan(39);
    expect(Math.max(...ys)).toBeLessThan(40 + 300 + 1);
    const text = await pdfText(pdf, { layout: false });
    expect(text).toContain("SHIP TO: ACME GmbH");
    const bbox = (await run(["pdftotext", "-bbox", pdf, "-"])).stdout;
    // the word's box is taller than wide: the text runs down the page
    const m = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">SHIP<\/word>/.exec(bbox)!;
    expect(Number(m[4]) - Number(m[2])).toBeGreaterThan(Number(m[3]) - Number(m[1]));
    expect(Number(m[1])).toBeGreaterThanOrEqual(39);
  });

  test("180° and 270° turn a QR code and a PDF417 that still decode", async () => {
    for (const rotate of [180, 270] as const) {
      const { png } = await label([
        { kind: "qr", text: `turned ${rotate}`, page: 1, x: 40, y: 40, qrSize: 100, rotate },
        { kind: "barcode", type: "pdf417", text: `PDF417 turned ${rotate}`, page: 1, x: 40, y: 180, width: 200, height: 80, rotate },
      ]);
      const found = await zxing(png, ["QRCode", "PDF417"]);
      expect(found.map((r) => r.text).sort()).toEqual([`PDF417 turned ${rotate}`, `turned ${rotate}`]);
    }
  });

  test("rotate must be a quarter turn; a line cannot be turned", () => {
    const base = { pageCount: 1, pageSizes: [[288, 432]] as [number, number][] };
    const p = layoutProblems({ fields: [{ text: "a", page: 1, x: 1, y: 1, rotate: 45 }, { kind: "line", page: 1, x: 1, y: 1, x2: 5, y2: 5, rotate: 90 }] }, base);
    expect(p).toContain("fields[0].rotate: must be 0, 90, 180 or 270 (degrees clockwise; got 45)");
    expect(p.some((x) => x.startsWith("fields[1].rotate: unknown key"))).toBe(true);
  });
});
