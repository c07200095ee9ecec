import { describe, expect, test } from "bun:test";
import { planLayout } from "../../core/render/plan.ts";
import type { Layout } from "../../core/render/layout.ts";
import type { FontMetrics } from "../../core/render/text.ts";

// Fake metrics: 0.5 em per character, ascent 0.8; "☃" has no glyph.
const fake: FontMetrics = {
  family: "Fake Sans",
  ascent: 0.8,
  width: (s) => Array.from(s).length * 0.5,
  missing: (s) => Array.from(s).filter((c) => c === "☃"),
};
const metrics = () => fake;
const base = (n: number) => ({ pageCount: n, pageSizes: Array.from({ length: n }, () => [600, 800] as [number, number]) });

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error("did not throw");
}

describe("planLayout", () => {
  test("a field lands at x with its baseline one ascent below y", () => {
    const plan = planLayout({ fields: [{ field: "name", page: 1, x: 50, y: 100, size: 10 }] }, { name: "Zoë" }, base(1), metrics);
    expect(plan.pages).toEqual([0]);
    expect(plan.ops).toEqual([{ page: 0, x: 50, baseline: 108, text: "Zoë", font: "sans", size: 10, color: [0, 0, 0] }]);
  });

  test("right alignment without maxWidth ends the text at x", () => {
    const plan = planLayout({ fields: [{ field: "n", page: 1, x: 200, y: 0, size: 10, align: "right" }] }, { n: 1234 }, base(1), metrics);
    expect(plan.ops[0].x).toBe(180);
    expect(plan.ops[0].text).toBe("1234");
  });

  test("a missing data field is MISSING_FIELD naming the data path and the layout field", () => {
    const e = codeOf(() => planLayout({ fields: [{ field: "x", page: 1, x: 0, y: 0 }, { field: "customer.name", page: 1, x: 0, y: 0 }] }, { x: 1, customer: {} }, base(1), metrics));
    expect(e.code).toBe("MISSING_FIELD");
    expect(e.message).toBe('data.customer.name is missing (fields[1] needs it; add it to the data or mark the field "optional": true)');
  });

  test("optional and default fill in for missing values", () => {
    const plan = planLayout(
      { fields: [{ field: "a", page: 1, x: 0, y: 0, optional: true }, { field: "b", page: 1, x: 0, y: 0, default: "n/a" }] },
      {},
      base(1),
      metrics,
    );
    expect(plan.ops.map((o) => o.text)).toEqual(["n/a"]);
  });

  test("an unknown glyph is UNKNOWN_GLYPH naming the field and the character", () => {
    const e = codeOf(() => planLayout({ fields: [{ field: "greeting", page: 1, x: 0, y: 0 }] }, { greeting: "Hi ☃" }, base(1), metrics));
    expect(e.code).toBe("UNKNOWN_GLYPH");
    expect(e.message).toContain('fields[0] (field "greeting"): character "☃" (U+2603) is not in the font "sans" (Fake Sans)');
  });

  test("tabs print as spaces and CR/CRLF line breaks as new lines", () => {
    const plan = planLayout({ fields: [{ field: "a", page: 1, x: 0, y: 0 }] }, { a: "x\ty\r\nz\rw" }, base(1), metrics);
    expect(plan.ops.map((o) => o.text)).toEqual(["x y", "z", "w"]);
  });

  test("an object where text is expected is BAD_FIELD_VALUE", () => {
    const e = codeOf(() => planLayout({ fields: [{ field: "customer", page: 1, x: 0, y: 0 }] }, { customer: { a: 1 } }, base(1), metrics));
    expect(e.code).toBe("BAD_FIELD_VALUE");
  });

  test("Mustache texts: placeholders filled unescaped, missing ones are MISSING_FIELD", () => {
    const layout: Layout = { fields: [{ text: "Invoice {{number}} for {{c.name}}", page: 1, x: 0, y: 0 }] };
    expect(planLayout(layout, { number: 7, c: { name: "A & B" } }, base(1), metrics).ops[0].text).toBe("Invoice 7 for A & B");
    expect(codeOf(() => planLayout(layout, { number: 7 }, base(1), metrics)).message).toBe(
      'data.c.name is missing (fields[0] prints "Invoice {{number}} for {{c.name}}")',
    );
  });

  test("table rows flow onto copies of the continuation page, inserted after the table's page", () => {
    const layout: Layout = {
      tables: [{ rows: "items", page: 1, top: 100, bottom: 160, continueTop: 40, rowGap: 0, columns: [{ field: "d", x: 10, width: 100, size: 10, lineHeight: 2 }] }],
      fields: [
        { text: "p{{$page}}/{{$pages}}", page: 1, x: 0, y: 700, repeat: true },
        { text: "once", page: 1, x: 0, y: 10 },
        { text: "last", page: 2, x: 0, y: 10 },
      ],
    };
    // rows are 20pt: 3 fit on page 1 (100..160), 6 per continuation page (40..160)
    const items = Array.from({ length: 10 }, (_, i) => ({ d: `row ${i + 1}` }));
    const plan = planLayout(layout, { items }, base(2), metrics);
    expect(plan.pages).toEqual([0, 0, 0, 1]);
    const rows = plan.ops.filter((o) => o.text.startsWith("row "));
    expect(rows.map((o) => o.page)).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 2]);
    expect(rows[3].baseline).toBe(48);
    expect(plan.ops.filter((o) => o.text.startsWith("p")).map((o) => [o.page, o.text])).toEqual([[0, "p1/4"], [1, "p2/4"], [2, "p3/4"]]);
    expect(plan.ops.find((o) => o.text === "once")!.page).toBe(0);
    expect(plan.ops.find((o) => o.text === "last")!.page).toBe(3);
  });

  test("omitPages: a continuation design is printed only as continuation pages", () => {
    const layout: Layout = {
      omitPages: [2],
      tables: [{ rows: "items", page: 1, top: 100, bottom: 160, continuePage: 2, continueTop: 40, rowGap: 0, columns: [{ field: "d", x: 10, width: 100, size: 10, lineHeight: 2 }] }],
      fields: [{ text: "cont {{$page}}", page: 2, x: 0, y: 10, repeat: true }],
    };
    const few = planLayout(layout, { items: [{ d: "a" }] }, base(3), metrics);
    expect(few.pages).toEqual([0, 2]); // page 2 never printed on its own
    expect(few.ops.filter((o) => o.text.startsWith("cont"))).toEqual([]);
    const many = planLayout(layout, { items: Array.from({ length: 5 }, (_, i) => ({ d: `r${i}` })) }, base(3), metrics);
    expect(many.pages).toEqual([0, 1, 2]);
    expect(many.ops.filter((o) => o.text.startsWith("cont")).map((o) => [o.page, o.text])).toEqual([[1, "cont 2"]]);
  });

  test("$row numbers rows and a missing cell names the row", () => {
    const layout: Layout = { tables: [{ rows: "items", page: 1, top: 0, bottom: 500, columns: [{ field: "$row", x: 0, width: 20 }, { field: "price", x: 30, width: 50 }] }] };
    const plan = planLayout(layout, { items: [{ price: "€1" }] }, base(1), metrics);
    expect(plan.ops.map((o) => o.text)).toEqual(["1", "€1"]);
    const e = codeOf(() => planLayout(layout, { items: [{ price: "€1" }, {}] }, base(1), metrics));
    expect(e.code).toBe("MISSING_FIELD");
    expect(e.message).toStartWith("data.items[1].price is missing (tables[0].columns[1] (row 2) needs it");
  });

  test("rows that are missing or not an array", () => {
    const layout: Layout = { tables: [{ rows: "items", page: 1, top: 0, bottom: 500, columns: [{ field: "a", x: 0, width: 20 }] }] };
    expect(codeOf(() => planLayout(layout, {}, base(1), metrics)).message).toBe("data.items is missing (tables[0].rows needs an array of rows)");
    expect(codeOf(() => planLayout(layout, { items: "x" }, base(1), metrics)).code).toBe("BAD_FIELD_VALUE");
  });
});
