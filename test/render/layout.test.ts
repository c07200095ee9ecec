import { describe, expect, test } from "bun:test";
import { layoutProblems, validateLayout } from "../../core/render/layout.ts";

const base = { pageCount: 2, pageSizes: [[595, 842], [595, 842]] as [number, number][] };
const field = (extra: Record<string, unknown>) => ({ field: "a", page: 1, x: 10, y: 10, ...extra });

describe("layout validation", () => {
  test("a field on a page the base lacks names the field, the page and the page count", () => {
    const layout = { fields: [field({}), field({}), field({}), field({ page: 4 })] };
    expect(() => validateLayout(layout, base)).toThrow("layout.json: fields[3].page: page 4 does not exist (the base PDF has 2 pages)");
    try {
      validateLayout(layout, base);
    } catch (e) {
      expect((e as { code: string }).code).toBe("BAD_LAYOUT");
    }
  });

  test("a valid layout passes and is returned as is", () => {
    const layout = {
      defaults: { size: 9 },
      fields: [field({ maxWidth: 100, overflow: "shrink", align: "right", color: "#abc" })],
      tables: [{ rows: "items", page: 1, top: 100, bottom: 700, columns: [{ field: "x", x: 10, width: 50 }], after: [{ text: "T", x: 1, dy: 2 }] }],
      form: { fields: { Name: "customer.name" } },
    };
    expect(validateLayout(layout, base)).toBe(layout as never);
  });

  test("every problem is listed with its path", () => {
    const problems = layoutProblems(
      {
        fields: [{ page: 1, x: "1", y: 2, font: "Comic", fnt: 1 }, 7],
        tables: [{ rows: "items", page: 1, top: 500, bottom: 100, columns: [] }],
        version: 2,
      },
      base,
    );
    expect(problems).toContain(`fields[0].fnt: unknown key (known here: font, size, color, align, maxWidth, overflow, maxLines, minSize, lineHeight, hyphenate, field, text, optional, default, format, locale, tz, kind, page, x, y, repeat, rotate, flow, bottom, continuePage, continueTop, orphans, widows)`);
    expect(problems).toContain(`fields[0].x: must be a number (got "1")`);
    expect(problems).toContain(`fields[0]: needs exactly one of "field" (a data path) or "text" (a Mustache text)`);
    expect(problems).toContain(`fields[0].font: unknown font "Comic" (built in: sans, sans-bold, mono; the template's: none, add one with --font NAME=FILE.ttf)`);
    expect(problems).toContain(`fields[1]: must be an object (got a number)`);
    expect(problems).toContain(`tables[0].bottom: must be below top (y grows downwards from the top of the page): top 500, bottom 100`);
    expect(problems).toContain(`tables[0].columns: must be a non-empty array of columns`);
    expect(problems).toContain(`version: unsupported version 2 (this docctl reads version 1)`);
  });

  test("several problems make one BAD_LAYOUT message listing them all", () => {
    expect(() => validateLayout({ fields: [field({ page: 0 }), field({ size: -1 })] }, base, "inv.json")).toThrow(
      "2 problems in inv.json:\n  inv.json: fields[0].page: page 0 does not exist (the base PDF has 2 pages)\n  inv.json: fields[1].size: must be at least 0.5 (got -1)",
    );
  });

  test("a table bottom below the page edge and two tables on one page are refused", () => {
    const t = { rows: "r", page: 1, top: 10, bottom: 900, columns: [{ field: "a", x: 1, width: 9 }] };
    const problems = layoutProblems({ tables: [t, { ...t, bottom: 800 }] }, base);
    expect(problems).toContain("tables[0].bottom: 900 is below the page's bottom edge (page 1 is 842pt tall)");
    expect(problems).toContain("tables[1].page: tables[0] already starts on page 1; one table per page");
  });

  test("a position off the page is refused, since it would print nothing", () => {
    const problems = layoutProblems({ fields: [field({ x: 700 }), field({ y: -5 })], tables: [{ rows: "r", page: 2, top: 900, bottom: 901, columns: [{ field: "a", x: 1, width: 9 }] }] }, base);
    expect(problems).toContain("fields[0].x: 700 is off the page (page 1 is 595pt wide)");
    expect(problems).toContain("fields[1].y: -5 is off the page (page 1 is 842pt tall; y is measured from the top)");
    expect(problems).toContain("tables[0].top: 900 is off the page (page 2 is 842pt tall; y is measured from the top)");
  });

  test("omitPages: pages must exist, one must remain, and its fields must repeat", () => {
    expect(layoutProblems({ omitPages: [2], fields: [field({ page: 2 })] }, base)).toEqual([
      'fields[0].page: page 2 is in omitPages, so it is only printed as continuation pages: add "repeat": true to print this field there',
    ]);
    expect(layoutProblems({ omitPages: [1, 2] }, base)).toEqual(["omitPages: leaves no page to print (the base PDF has 2 pages)"]);
    expect(layoutProblems({ omitPages: [3] }, base)).toEqual(["omitPages[0]: page 3 does not exist (the base PDF has 2 pages)"]);
  });

  test("a layout that is not an object", () => {
    expect(layoutProblems([], base)).toEqual(["the layout must be a JSON object (got an array)"]);
  });
});
