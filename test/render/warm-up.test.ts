// The layout engine's warm-up at proc start (core/render/warm-up.ts): it renders, it leaves nothing
// behind, and documents rendered after it are byte for byte those rendered without it.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Renderer } from "../../core/render/renderer.ts";
import { loadFonts } from "../../core/render/fonts.ts";
import { WARM_UP_RENDERS, warmUp } from "../../core/render/warm-up.ts";
import { clearSubsetCache, subsetCacheSize } from "../../core/render/pdf-font.ts";
import type { Template } from "../../core/render/template.ts";

const EX = join(import.meta.dir, "../../examples/invoice");

describe("warmUp", () => {
  test("renders the built-in page the given number of times and leaves the subset cache empty", async () => {
    await loadFonts();
    clearSubsetCache();
    const r = new Renderer();
    const ms = await warmUp(r, 3);
    expect(ms).toBeGreaterThan(0);
    expect(subsetCacheSize()).toBe(0);
    expect(WARM_UP_RENDERS).toBeGreaterThan(0);
  });

  test("an invoice rendered after the warm-up is byte-identical to one rendered without it", async () => {
    await loadFonts();
    const template: Template = { name: "invoice", kind: "layout", base: await Bun.file(join(EX, "base.pdf")).bytes(), layout: await Bun.file(join(EX, "layout.json")).json(), pages: 1 };
    const data = await Bun.file(join(EX, "data.json")).json();
    clearSubsetCache();
    const cold = (await new Renderer().render(template, data)).bytes;
    clearSubsetCache();
    const warmed = new Renderer();
    await warmUp(warmed, 5);
    const warm = (await warmed.render(template, data)).bytes;
    expect(warm.length).toBeGreaterThan(1000);
    expect(Buffer.from(warm).equals(Buffer.from(cold))).toBe(true);
  });
});
