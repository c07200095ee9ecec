// SVG logos and fields as vector paths (no image in pdfimages), ellipses and rounded boxes; pixels
// checked on poppler's rendering (pdftoppm, PPM).
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PDFDocument } from "pdf-lib";
import { renderLayout } from "../../core/render/layout-engine.ts";
import { buildTemplate } from "../../core/render/template.ts";
import { parseSvg, transform } from "../../core/render/svg.ts";
import type { FieldSpec, Layout } from "../../core/render/layout.ts";
import { JobError } from "../../core/runtime/protocol/errors.ts";
import { qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("docctl-svg-");
afterAll(() => tmp.cleanup());

// a 100 x 50 logo: a red circle, a blue rounded box turned by a group transform, a green triangle with an arc
const LOGO = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50" width="200" height="100">
  <title>ACME</title>
  <circle cx="25" cy="25" r="20" fill="#ff0000"/>
  <g transform="translate(50 5)"><rect x="0" y="0" width="20" height="40" rx="4" style="fill: rgb(0, 0, 255)"/></g>
  <path d="M75 45 L95 45 L85 5 Z" fill="green" stroke="black" stroke-width="0.5"/>
  <path d="M0 0 a 5 5 0 0 1 10 0" fill="none" stroke="#000"/>
</svg>`;

async function blank(w = 300, h = 200): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.addPage([w, h]);
  return await doc.save();
}

/** Renders and rasterises at 72 dpi (1 px = 1 pt); returns the PDF path and a pixel reader (x, y from the top-left). */
async function render(fields: FieldSpec[], data: unknown = {}, name = "out"): Promise<{ pdf: string; px: (x: number, y: number) => [number, number, number] }> {
  const out = await renderLayout(await blank(), { fields } as Layout, data, { assets: new Map([["logo.svg", new TextEncoder().encode(LOGO)]]) });
  const pdf = join(tmp.path, `${name}.pdf`);
  await Bun.write(pdf, out.bytes);
  await qpdfCheck(pdf);
  const base = join(tmp.path, name);
  expect((await run(["pdftoppm", "-r", "72", "-singlefile", pdf, base])).code).toBe(0);
  const ppm = new Uint8Array(await Bun.file(`${base}.ppm`).arrayBuffer());
  const head = new TextDecoder().decode(ppm.subarray(0, 20)).split(/\s+/);
  const [w] = [Number(head[1])];
  const offset = `${head[0]}\n${head[1]} ${head[2]}\n${head[3]}\n`.length;
  return { pdf, px: (x, y) => Array.from(ppm.subarray(offset + (y * w + x) * 3, offset + (y * w + x) * 3 + 3)) as [number, number, number] };
}

const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 40);

describe("SVG", () => {
  test("an SVG asset is drawn as vector paths: pdfimages finds no image, the shapes are where the viewBox puts them", async () => {
    // the 100 x 50 viewBox into a 200 x 100 box at (50, 50): 2 pt per SVG unit
    const { pdf, px } = await render([{ kind: "image", asset: "logo.svg", page: 1, x: 50, y: 50, width: 200, height: 100 }], {}, "logo");
    const images = (await run(["pdfimages", "-list", pdf])).stdout.trim().split("\n");
    expect(images.length).toBe(2); // the header lines only: no image
    expect(close(px(50 + 50, 50 + 50), [255, 0, 0])).toBe(true); // the circle's centre
    expect(close(px(50 + 120, 50 + 50), [0, 0, 255])).toBe(true); // inside the blue box (translated by the group)
    expect(close(px(50 + 170, 50 + 80), [0, 128, 0])).toBe(true); // inside the triangle
    expect(close(px(50 + 101, 50 + 3), [255, 255, 255])).toBe(true); // the blue box's rounded corner is empty
    expect(close(px(20, 20), [255, 255, 255])).toBe(true);
  });

  test("an SVG from the data (a data URL) is drawn the same way", async () => {
    const url = `data:image/svg+xml;base64,${Buffer.from(LOGO).toString("base64")}`;
    const { pdf, px } = await render([{ kind: "image", field: "logo", page: 1, x: 0, y: 0, width: 100, height: 50 }], { logo: url }, "data");
    expect((await run(["pdfimages", "-list", pdf])).stdout.trim().split("\n").length).toBe(2);
    expect(close(px(25, 25), [255, 0, 0])).toBe(true);
  });

  test("what cannot be drawn faithfully is refused at template put, naming the element", async () => {
    const base = await blank();
    const put = async (svg: string) => {
      try {
        await buildTemplate({ name: "t", base, layout: {}, assets: [{ name: "logo.svg", bytes: new TextEncoder().encode(svg) }] });
      } catch (err) {
        expect(err).toBeInstanceOf(JobError);
        return `${(err as JobError).code}: ${(err as Error).message}`;
      }
      return "ok";
    };
    expect(await put(LOGO)).toBe("ok");
    expect(await put(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><text x="1" y="5">Hi</text></svg>`)).toStartWith(
      "BAD_TEMPLATE: --asset logo.svg: <text> is not supported (line 1); docctl draws paths and basic shapes: convert text to paths",
    );
    expect(await put(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="5" height="5" fill="url(#g)"/></svg>`)).toContain("(a gradient or pattern) is not supported");
    expect(await put(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="5" height="5" opacity="0.5"/></svg>`)).toContain('opacity="0.5" (line 1): transparency is not supported');
    expect(await put(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>`)).toContain("needs a viewBox or a width and height");
    expect(await put(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect></svg>`)).toContain("not a readable SVG");
  });

  test("transforms compose like SVG's: translate then scale", () => {
    expect(transform("translate(10 20) scale(2)", () => { throw new Error("bad"); })).toEqual([2, 0, 0, 2, 10, 20]);
    expect(parseSvg(LOGO, "logo").width).toBe(100);
  });
});

describe("ellipses and rounded boxes", () => {
  test("an ellipse fills its box but not the corners; a rounded box leaves its corners empty", async () => {
    const { px } = await render(
      [
        { kind: "ellipse", page: 1, x: 20, y: 20, width: 100, height: 60, fill: "#000000", stroke: "none" },
        { kind: "rect", page: 1, x: 150, y: 20, width: 100, height: 60, radius: 20, fill: "#000000", stroke: "none" },
      ],
      {},
      "shapes",
    );
    expect(close(px(70, 50), [0, 0, 0])).toBe(true); // ellipse centre
    expect(close(px(23, 23), [255, 255, 255])).toBe(true); // its box's corner
    expect(close(px(118, 50), [0, 0, 0])).toBe(true); // near the right end of its long axis
    expect(close(px(200, 50), [0, 0, 0])).toBe(true); // rounded box centre
    expect(close(px(152, 22), [255, 255, 255])).toBe(true); // a rounded corner
    expect(close(px(200, 22), [0, 0, 0])).toBe(true); // the top edge between the corners
  });
});
