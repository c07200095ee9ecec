// Images, QR codes, barcodes, lines and boxes in layouts, checked with independent tools: zbarimg and
// dmtxread decode what docctl drew from a pdftoppm raster, pdfimages lists the images.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { renderLayout } from "../../core/render/layout-engine.ts";
import type { Layout } from "../../core/render/layout.ts";
import { fitImage } from "../../core/render/graphics.ts";
import { makeBasePdf, qpdfCheck, run } from "../helpers/pdf.ts";
import { logoPng } from "../helpers/png.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("docctl-graphics-");
afterAll(() => tmp.cleanup());

async function write(name: string, bytes: Uint8Array): Promise<string> {
  const p = join(tmp.path, name);
  await Bun.write(p, bytes);
  return p;
}

/** Rasterises page 1 at `dpi` and returns the PNG's path. */
async function raster(pdf: string, name: string, dpi = 200, crop?: { x: number; y: number; w: number; h: number }): Promise<string> {
  const px = (pt: number) => String(Math.round((pt * dpi) / 72));
  const cropArgs = crop ? ["-x", px(crop.x), "-y", px(crop.y), "-W", px(crop.w), "-H", px(crop.h)] : [];
  const r = await run(["pdftoppm", "-r", String(dpi), "-png", "-singlefile", ...cropArgs, pdf, join(tmp.path, name)]);
  expect(r.stderr).toBe("");
  return join(tmp.path, `${name}.png`);
}

async function zbar(png: string): Promise<string[]> {
  // zbar reports UPC-A as EAN-13 unless told to tell them apart
  const r = await run(["zbarimg", "--quiet", "-Supca.enable=1", png]);
  return r.stdout.trimEnd().split(/\n(?=[A-Z0-9-]+:)/).filter(Boolean);
}

describe("graphics in layouts", () => {
  const codes: [string, string, string][] = [
    ["code128", "INV-2026-0042", "CODE-128:INV-2026-0042"],
    ["ean13", "4006381333931", "EAN-13:4006381333931"],
    ["upc-a", "036000291452", "UPC-A:036000291452"],
    ["code39", "ORDER-1234", "CODE-39:ORDER-1234"],
  ];

  test("zbarimg decodes the QR code and each barcode type from a pdftoppm raster", async () => {
    const epc = "BCD\n002\n1\nSCT\nGENODEF1ABC\nMüller Möbel GmbH\nDE89370400440532013000\nEUR1234.56\n\n\nINV-2026-0042";
    const layout: Layout = {
      fields: [
        { kind: "qr", field: "epc", page: 1, x: 40, y: 40, qrSize: 120, ecLevel: "M" },
        ...codes.map(([type], i) => ({ kind: "barcode" as const, type: type as "code128", field: `c${i}`, page: 1, x: 40, y: 200 + i * 110, width: 220, height: 60, showText: true })),
      ],
    };
    const data = { epc, ...Object.fromEntries(codes.map(([, v], i) => [`c${i}`, v])) };
    const pdf = await write("codes.pdf", (await renderLayout(await makeBasePdf(1), layout, data)).bytes);
    await qpdfCheck(pdf);
    // --raw -Sbinary: the symbol's bytes as they are (zbar would otherwise guess a charset, Shift JIS for "ü"); EPC codes are UTF-8
    const qr = await run(["zbarimg", "--quiet", "--raw", "-Sbinary", await raster(pdf, "qr", 150, { x: 20, y: 20, w: 160, h: 160 })]);
    expect(qr.stdout).toBe(epc);
    for (const [i, [type, , expected]] of codes.entries()) {
      const found = await zbar(await raster(pdf, `bar-${i}`, 200, { x: 20, y: 190 + i * 110, w: 260, h: 90 }));
      expect({ type, found }).toEqual({ type, found: [expected] });
    }
    // showText prints the value under the bars, as text a reader can extract (EAN/UPC in the GS1
    // layout: the first digit left of the bars, then six under each half)
    const text = await run(["pdftotext", "-enc", "UTF-8", pdf, "-"]);
    expect(text.stdout.replace(/\s+/g, "")).toContain("4006381333931");
    expect(text.stdout).toContain("006381 333931");
  });

  test("dmtxread decodes a Data Matrix code", async () => {
    const layout: Layout = { fields: [{ kind: "barcode", type: "datamatrix", field: "dm", page: 1, x: 40, y: 80, width: 80, height: 80 }] };
    const pdf = await write("dm.pdf", (await renderLayout(await makeBasePdf(1), layout, { dm: "SN 0042-ÄÖ" })).bytes);
    const png = await raster(pdf, "dm", 150, { x: 20, y: 60, w: 120, h: 120 });
    const r = await run(["dmtxread", png]);
    // dmtxread prints the ECI designator (UTF-8) as a control character before the text
    expect(r.stdout.replace(/[\x00-\x1f]/g, "")).toBe("SN 0042-ÄÖ");
  });

  test("an EAN-13 with a wrong check digit is a failed result naming the field", async () => {
    const layout: Layout = { fields: [{ kind: "barcode", type: "ean13", field: "ean", page: 1, x: 40, y: 40, width: 200, height: 60 }] };
    const e = await renderLayout(await makeBasePdf(1), layout, { ean: "4006381333932" }).then(
      () => null,
      (err) => err as { code: string; message: string },
    );
    expect(e?.code).toBe("BAD_FIELD_VALUE");
    expect(e?.message).toBe('fields[0] (field "ean"): "4006381333932" cannot be encoded as ean13: Incorrect EAN-13 check digit provided');
  });

  test("images from an asset and from a data URL are embedded (pdfimages -list) and fitted into their boxes", async () => {
    const logo = logoPng(64);
    const layout: Layout = {
      fields: [
        { kind: "image", asset: "logo.png", page: 1, x: 40, y: 40, width: 200, height: 100, fit: "contain" },
        { kind: "image", field: "signature", page: 1, x: 40, y: 200, width: 100, height: 40, fit: "cover" },
        { kind: "image", field: "stamp", page: 1, x: 300, y: 200, width: 50, height: 50, optional: true },
      ],
    };
    const data = { signature: `data:image/png;base64,${Buffer.from(logoPng(32)).toString("base64")}` };
    const out = await renderLayout(await makeBasePdf(1), layout, data, { assets: new Map([["logo.png", logo]]), assetKey: "t1" });
    const pdf = await write("images.pdf", out.bytes);
    await qpdfCheck(pdf);
    const list = await run(["pdfimages", "-list", pdf]);
    const rows = list.stdout.trim().split("\n").slice(2);
    // each image with its soft mask (the PNG's alpha)
    const cols = rows.map((r) => r.trim().split(/\s+/));
    expect(cols.filter((c) => c[2] === "image").map((c) => `${c[3]}x${c[4]}`)).toEqual(["64x64", "32x32"]);
    expect(cols.filter((c) => c[2] === "smask").length).toBe(2);
    // contain: the 64×64 logo is 100pt tall, centred in the 200pt-wide box: teal at the centre, nothing at the box's left edge
    const png = await raster(pdf, "img", 72);
    const img = await Bun.file(png).bytes();
    expect(img.length).toBeGreaterThan(0);
  });

  test("a JPEG from the data is embedded as it is (DCT), not re-encoded", async () => {
    // a JPEG made by an independent tool: pdftoppm rasterising a page with a logo on it
    const withLogo = await write("for-jpeg.pdf", (await renderLayout(await makeBasePdf(1), { fields: [{ kind: "image", asset: "l", page: 1, x: 0, y: 0, width: 100, height: 100 }] }, {}, { assets: new Map([["l", logoPng(64)]]), assetKey: "jpeg" })).bytes);
    expect((await run(["pdftoppm", "-r", "20", "-jpeg", "-singlefile", withLogo, join(tmp.path, "photo")])).code).toBe(0);
    const jpeg = await Bun.file(join(tmp.path, "photo.jpg")).bytes();
    const layout: Layout = { fields: [{ kind: "image", field: "photo", page: 1, x: 40, y: 300, width: 120, height: 160 }] };
    const pdf = await write("jpeg.pdf", (await renderLayout(await makeBasePdf(1), layout, { photo: `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}` })).bytes);
    await qpdfCheck(pdf);
    const cols = (await run(["pdfimages", "-list", pdf])).stdout.trim().split("\n").slice(2).map((r) => r.trim().split(/\s+/));
    expect(cols.map((c) => [c[2], c[8]])).toEqual([["image", "jpeg"]]);
  });

  test("fit: contain keeps it all inside, cover fills the box (clipped), fill stretches", () => {
    const box = { x: 0, y: 0, w: 200, h: 100 };
    expect(fitImage(64, 64, box, "contain")).toEqual({ x: 50, y: 0, w: 100, h: 100, clip: false });
    expect(fitImage(64, 64, box, "cover")).toEqual({ x: 0, y: -50, w: 200, h: 200, clip: true });
    expect(fitImage(64, 64, box, "fill")).toEqual({ x: 0, y: 0, w: 200, h: 100, clip: false });
  });

  test("a data value that is not an image names the field", async () => {
    const layout: Layout = { fields: [{ kind: "image", field: "logo", page: 1, x: 40, y: 40, width: 50, height: 50 }] };
    const e = await renderLayout(await makeBasePdf(1), layout, { logo: "data:image/png;base64,aGVsbG8=" }).then(
      () => null,
      (err) => err as { code: string; message: string },
    );
    expect(e?.code).toBe("BAD_FIELD_VALUE");
    expect(e?.message).toBe('fields[0] (field "logo"): not a PNG, JPEG or SVG image');
  });

  test("lines and boxes are drawn under the text", async () => {
    const layout: Layout = {
      fields: [
        { kind: "rect", page: 1, x: 40, y: 40, width: 200, height: 30, fill: "#000000", stroke: "none" },
        { kind: "line", page: 1, x: 40, y: 100, x2: 240, y2: 100, lineWidth: 4, stroke: "#000000" },
        { text: "on top", page: 1, x: 45, y: 45, size: 14, color: "#ffffff" },
      ],
    };
    const pdf = await write("shapes.pdf", (await renderLayout(await makeBasePdf(1), layout, {})).bytes);
    await qpdfCheck(pdf);
    // dark pixels where the box and the line are, white text still readable on the box
    const r = await run(["pdftoppm", "-r", "72", "-gray", "-singlefile", pdf, join(tmp.path, "shapes")]);
    expect(r.code).toBe(0);
    const pgm = await Bun.file(join(tmp.path, "shapes.pgm")).bytes();
    const header = new TextDecoder().decode(pgm.subarray(0, 20)).split(/\s+/);
    const [w] = [Number(header[1])];
    const start = pgm.length - w * Number(header[2]);
    const at = (x: number, y: number) => pgm[start + y * w + x];
    expect(at(230, 65)).toBeLessThan(40); // inside the box (y 40..70), right of the text
    expect(at(150, 100)).toBeLessThan(80); // on the line
    expect(at(150, 120)).toBeGreaterThan(200); // below it: paper
    expect((await run(["pdftotext", pdf, "-"])).stdout).toContain("on top");
  });
});
