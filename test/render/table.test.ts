import { describe, expect, test } from "bun:test";
import { flowRows } from "../../core/render/table.ts";

describe("flowRows", () => {
  test("rows that fit stay on the table's page", () => {
    const r = flowRows({ top: 100, bottom: 200, continueTop: 50, rowHeights: [20, 20, 20], afterHeight: 10, where: "t" });
    expect(r.rows).toEqual([{ page: 0, y: 100 }, { page: 0, y: 120 }, { page: 0, y: 140 }]);
    expect(r.after).toEqual({ page: 0, y: 160 });
    expect(r.continuationPages).toBe(0);
  });
  test("a row that would cross bottom starts a continuation page at continueTop", () => {
    const r = flowRows({ top: 100, bottom: 200, continueTop: 50, rowHeights: Array(12).fill(30), afterHeight: 0, where: "t" });
    // page 0 holds 3 rows (100..190), continuation pages hold 5 (50..200)
    expect(r.rows.map((x) => x.page)).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(r.rows[3]).toEqual({ page: 1, y: 50 });
    expect(r.continuationPages).toBe(2);
  });
  test("the after-block moves to a new page when it does not fit below the last row", () => {
    const r = flowRows({ top: 100, bottom: 200, continueTop: 50, rowHeights: [40, 40], afterHeight: 30, where: "t" });
    expect(r.after).toEqual({ page: 1, y: 50 });
    expect(r.continuationPages).toBe(1);
  });
  test("no rows: the after-block sits at top", () => {
    expect(flowRows({ top: 100, bottom: 200, continueTop: 50, rowHeights: [], afterHeight: 30, where: "t" }).after).toEqual({ page: 0, y: 100 });
  });
  test("a row taller than a whole page is TEXT_OVERFLOW naming the row", () => {
    expect(() => flowRows({ top: 100, bottom: 200, continueTop: 50, rowHeights: [20, 400], afterHeight: 0, where: "tables[0]" })).toThrow(
      "tables[0]: row 2 is 400pt tall but a continuation page has room for only 150pt",
    );
  });
});
