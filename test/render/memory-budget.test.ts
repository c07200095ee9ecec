// The render memory budget on its own: bytes, least recently used first, entries over the budget refused.
import { expect, test } from "bun:test";
import { MemoryBudget, parseByteSize } from "../../core/render/memory-budget.ts";
import { imageSize } from "../../core/render/graphics.ts";
import { makePng } from "../helpers/png.ts";

test("over the budget the least recently used entries go; a touched one stays", () => {
  const b = new MemoryBudget(100);
  const gone: string[] = [];
  b.add("a", 40, () => gone.push("a"));
  b.add("b", 40, () => gone.push("b"));
  b.touch("a");
  b.add("c", 40, () => gone.push("c"));
  expect(gone).toEqual(["b"]);
  expect(b.used).toBe(80);
  expect(b.add("huge", 101, () => gone.push("huge"))).toBe(false);
  expect(b.used).toBe(80);
  b.setLimit(50);
  expect(gone).toEqual(["b", "a"]);
  b.remove("c");
  expect(b.used).toBe(0);
});

test("sizes parse with units; image headers give their size", () => {
  expect(parseByteSize("256MB", "x")).toBe(256 * 1024 * 1024);
  expect(parseByteSize("1.5k", "x")).toBe(1536);
  expect(() => parseByteSize("lots", "--render-memory")).toThrow('--render-memory: "lots" is not a size');
  expect(imageSize(makePng(7, 3, () => [0, 0, 0, 0]))).toEqual({ width: 7, height: 3 });
  // a minimal JPEG header: SOI, then SOF0 with height 480, width 640
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03, 0, 0, 0, 0, 0, 0]);
  expect(imageSize(jpeg)).toEqual({ width: 640, height: 480 });
});
