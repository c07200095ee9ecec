// Safe templates: each limit refuses a base PDF that exceeds it, naming the limit and its value; real
// bases pass the defaults. (The bombs themselves go through dist/docctl in test/e2e/multilingual.test.ts.)
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { checkBasePdf, parseLimit, templateLimitsDefaults, templateLimitsFromEnv } from "../../core/render/limits.ts";
import { renderLayout } from "../../core/render/layout-engine.ts";
import { makeBasePdf } from "../helpers/pdf.ts";
import { makePng } from "../helpers/png.ts";
import { objectStreamBomb, pageTreeBomb } from "../helpers/bombs.ts";

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect((e as { code: string }).code).toBe("BAD_BASE_PDF");
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("template limits", () => {
  test("the example bases pass the defaults", async () => {
    for (const f of ["examples/invoice/base.pdf", "examples/multilingual/base.pdf"])
      await checkBasePdf(await Bun.file(join(import.meta.dir, "../..", f)).bytes(), f);
  });

  test("each limit refuses with its name and value", async () => {
    const base = await makeBasePdf(3);
    expect(await refusal(checkBasePdf(base, "base.pdf", { maxBaseBytes: 100 }))).toMatch(/^base\.pdf refused: the file is \d+ bytes, over the limit max-base-size = 100 bytes/);
    expect(await refusal(checkBasePdf(base, "base.pdf", { maxPages: 2 }))).toBe("base.pdf refused: its page tree has more than 2 pages, over the limit max-pages = 2 (raise it if this template is genuine)");
    expect(await refusal(checkBasePdf(base, "base.pdf", { maxObjects: 3 }))).toMatch(/^base\.pdf refused: it has \d+ objects, over the limit max-objects = 3/);
    expect(await refusal(checkBasePdf(pageTreeBomb(), "bomb.pdf"))).toContain("more than 1000 pages, over the limit max-pages = 1000");
    expect(await refusal(checkBasePdf(objectStreamBomb(64 * 1024), "bomb.pdf", { maxStreamBytes: 8 * 1024 * 1024 }))).toContain("inflate to more than 8 MB, over the limit max-stream-size = 8 MB");
    expect(await refusal(checkBasePdf(base, "base.pdf", { maxParseMs: 0 }))).toMatch(/over the limit max-parse-time = 0 ms/);
  });

  test("limits as people write them, from flags and the environment", () => {
    expect(parseLimit("maxBaseBytes", "20MB", "--max-base-size")).toBe(20 * 1024 * 1024);
    expect(parseLimit("maxParseMs", "2s", "--max-parse-time")).toBe(2000);
    expect(() => parseLimit("maxPages", "lots", "--max-pages")).toThrow('--max-pages: "lots" is not a whole number');
    expect(templateLimitsFromEnv({ DOCCTL_TEMPLATE_MAX_PAGES: "50", DOCCTL_TEMPLATE_MAX_STREAM_SIZE: "1GB" })).toEqual({ maxPages: 50, maxStreamBytes: 1024 ** 3 });
    expect(() => templateLimitsFromEnv({ DOCCTL_TEMPLATE_MAX_OBJECTS: "-1" })).toThrow("DOCCTL_TEMPLATE_MAX_OBJECTS");
    expect(templateLimitsDefaults.maxPages).toBe(1000);
  });

  test("a PNG claiming gigapixels in the data is refused before it is decoded", async () => {
    const png = makePng(2, 2, () => [0, 0, 0, 255]);
    new DataView(png.buffer).setUint32(16, 100_000); // IHDR width
    new DataView(png.buffer).setUint32(20, 100_000); // IHDR height
    const layout = { fields: [{ kind: "image" as const, field: "img", page: 1, x: 10, y: 10, width: 10, height: 10 }] };
    const e = await renderLayout(await makeBasePdf(1), layout, { img: Buffer.from(png).toString("base64") }).then(() => null, (err) => err as Error & { code: string });
    expect(e?.code).toBe("BAD_FIELD_VALUE");
    expect(e?.message).toBe('fields[0] (field "img"): the PNG claims 100000×100000 pixels, more than 40 million; make it smaller');
  });
});
