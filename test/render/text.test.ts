import { describe, expect, test } from "bun:test";
import { isRtl, alignX, fitText, wrapText, type FontMetrics, type ResolvedStyle } from "../../core/render/text.ts";

// A monospaced fake: every character is 0.5 em wide, so widths are easy to reason about.
const mono: FontMetrics = { family: "Fake Mono", ascent: 0.8, width: (s) => Array.from(s).length * 0.5, missing: () => [] };
const style = (s: Partial<ResolvedStyle>): ResolvedStyle => ({ font: "sans", size: 10, color: "#000", align: "left", overflow: "wrap", minSize: 6, lineHeight: 1.2, ...s });

describe("wrapText", () => {
  const w = (s: string) => Array.from(s).length * 5; // 5pt per character
  test("breaks at spaces so no line is wider than the box", () => {
    expect(wrapText("the quick brown fox jumps", 50, w)).toEqual(["the quick", "brown fox", "jumps"]);
  });
  test("keeps explicit line breaks", () => {
    expect(wrapText("a b\nc", 100, w)).toEqual(["a b", "c"]);
  });
  test("breaks a word longer than the box between characters", () => {
    expect(wrapText("abcdefghijkl xy", 25, w)).toEqual(["abcde", "fghij", "kl xy"]);
  });
  test("counts accented and Cyrillic characters as one character each", () => {
    expect(wrapText("Привет мир ёжик", 30, w)).toEqual(["Привет", "мир", "ёжик"]);
  });
});

describe("fitText", () => {
  test("wrap: lines and height at the given size", () => {
    const f = fitText("aaaa bbbb cccc", style({ maxWidth: 40 }), mono, "f");
    expect(f.lines).toEqual(["aaaa", "bbbb", "cccc"]);
    expect(f.size).toBe(10);
    expect(f.height).toBeCloseTo(36);
  });
  test("wrap beyond maxLines is TEXT_OVERFLOW naming the field", () => {
    expect(() => fitText("aaaa bbbb cccc", style({ maxWidth: 40, maxLines: 2 }), mono, "fields[2]")).toThrow(
      'fields[2]: "aaaa bbbb cccc" needs 3 lines at 40pt wide but maxLines is 2',
    );
  });
  test("shrink: the size drops until the text fits", () => {
    const f = fitText("abcdefghij", style({ maxWidth: 40, overflow: "shrink" }), mono, "f");
    expect(f.lines).toEqual(["abcdefghij"]);
    expect(f.size).toBe(8);
    expect(f.widths[0]).toBeLessThanOrEqual(40);
  });
  test("shrink below minSize is TEXT_OVERFLOW", () => {
    expect(() => fitText("abcdefghij", style({ maxWidth: 20, overflow: "shrink", minSize: 6 }), mono, "fields[0]")).toThrow("does not fit in 20pt even at the minimum size 6pt");
  });
  test("no maxWidth: one line per paragraph, never shrunk", () => {
    expect(fitText("a long line\nb", style({ overflow: "none" }), mono, "f").lines).toEqual(["a long line", "b"]);
  });
});

describe("alignX", () => {
  test("inside a box", () => {
    expect(alignX(100, 30, "left", 50)).toBe(100);
    expect(alignX(100, 30, "right", 50)).toBe(120);
    expect(alignX(100, 30, "center", 50)).toBe(110);
  });
  test("without a box x is the anchor", () => {
    expect(alignX(100, 30, "right")).toBe(70);
    expect(alignX(100, 30, "center")).toBe(85);
  });
  test("start and end follow the line's direction: its first strong letter", () => {
    expect(isRtl("12 شارع الملك فهد")).toBe(true);
    expect(isRtl("(ש״ח) Tel Aviv")).toBe(true);
    expect(isRtl("Al-Noor — شركة")).toBe(false);
    expect(isRtl("123")).toBe(false);
    expect(alignX(100, 30, "start", 50, true)).toBe(120);
    expect(alignX(100, 30, "end", 50, true)).toBe(100);
    expect(alignX(100, 30, "start", 50, false)).toBe(100);
    expect(alignX(100, 30, "end", 50, false)).toBe(120);
  });
});
