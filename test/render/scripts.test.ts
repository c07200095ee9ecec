// Scripts and fonts: bidi run order, line breaks without spaces, OpenType (CFF) template fonts, shaped
// text read back by pdftotext.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { visualOrder } from "../../core/render/shape.ts";
import { breakPieces, wrapText } from "../../core/render/text.ts";
import { FontSet, loadFonts } from "../../core/render/fonts.ts";
import { renderLayout } from "../../core/render/layout-engine.ts";
import { makeBasePdf, pdfText, qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("docctl-scripts-");
afterAll(() => tmp.cleanup());
const NOTO = "/usr/share/fonts/truetype/noto";

describe("pure pieces", () => {
  test("bidi: runs at odd levels are reversed, numbers inside right-to-left text keep their order", () => {
    // "abc ARABIC 123 ARABIC def" in a left-to-right paragraph: levels 0, 1, 2, 1, 0
    expect(visualOrder([{ run: "abc", level: 0 }, { run: "A1", level: 1 }, { run: "123", level: 2 }, { run: "A2", level: 1 }, { run: "def", level: 0 }])).toEqual(["abc", "A2", "123", "A1", "def"]);
    // a right-to-left paragraph with Latin inside: level 1 around level 2
    expect(visualOrder([{ run: "R1", level: 1 }, { run: "Latin", level: 2 }, { run: "R2", level: 1 }])).toEqual(["R2", "Latin", "R1"]);
  });

  test("lines break between ideographs and at Thai word boundaries, never before closing punctuation", () => {
    expect(breakPieces("東京都の天気。")).toEqual(["東", "京", "都", "の", "天", "気。"]);
    expect(breakPieces("ภาษาไทยง่ายนิดเดียว").join("")).toBe("ภาษาไทยง่ายนิดเดียว");
    expect(breakPieces("ภาษาไทยง่ายนิดเดียว").length).toBeGreaterThan(2);
    expect(breakPieces("plain")).toEqual(["plain"]);
    // 1 unit per character, box of 4: ideographs fill each line, no spaces are invented
    expect(wrapText("東京都の天気は晴れ。", 4, (s) => Array.from(s).length)).toEqual(["東京都の", "天気は晴", "れ。"]);
  });
});

describe("fonts and scripts in documents", () => {
  test("an OpenType (CFF) font is embedded as a CFF subset and its text extracts", async () => {
    await loadFonts();
    const otf = await Bun.file(join(import.meta.dir, "../../node_modules/bwip-js/fonts/Inconsolata.otf")).bytes();
    const fonts = new FontSet([{ name: "code", bytes: otf, source: "Inconsolata.otf" }]);
    const out = await renderLayout(await makeBasePdf(1), { fields: [{ field: "t", page: 1, x: 40, y: 100, font: "code", size: 14 }] }, { t: "SKU 0042-ABC {x}" }, { fonts });
    const pdf = join(tmp.path, "otf.pdf");
    await Bun.write(pdf, out.bytes);
    await qpdfCheck(pdf);
    expect((await run(["pdffonts", pdf])).stdout).toMatch(/\+Inconsolata\s+CID Type 0C\s+Identity-H\s+yes\s+yes\s+yes/);
    expect(await pdfText(pdf)).toContain("SKU 0042-ABC {x}");
  });

  test("Devanagari and Thai are shaped (reordered vowel signs, stacked marks) and read back as written", async () => {
    await loadFonts();
    const fonts = new FontSet([
      { name: "deva", bytes: await Bun.file(`${NOTO}/NotoSansDevanagari-Regular.ttf`).bytes() },
      { name: "thai", bytes: await Bun.file(`${NOTO}/NotoSansThai-Regular.ttf`).bytes() },
    ]);
    const data = { hi: "हिन्दी क्षत्रिय", th: "น้ำแข็ง" };
    const shaped = fonts.shape(data.hi, "deva");
    // the vowel sign ि (U+093F) is drawn before its consonant: glyph order differs from character order
    expect(shaped.shaped).toBe(true);
    const layout = { fields: [{ field: "hi", page: 1, x: 40, y: 100, font: "deva", size: 16 }, { field: "th", page: 1, x: 40, y: 140, font: "thai", size: 16 }] };
    const out = await renderLayout(await makeBasePdf(1), layout, data, { fonts });
    const pdf = join(tmp.path, "indic.pdf");
    await Bun.write(pdf, out.bytes);
    const text = await pdfText(pdf);
    expect(text).toContain("हिन्दी क्षत्रिय");
    expect(text).toContain("น้ำแข็ง");
  });
});
