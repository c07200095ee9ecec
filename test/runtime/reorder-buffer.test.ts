// Results put back in input order within a window (pure).
import { expect, test } from "bun:test";
import { ReorderBuffer } from "../../core/runtime/client/reorder-buffer.ts";

test("values put in any order are handed out in index order", () => {
  const b = new ReorderBuffer<string>(8);
  for (let k = 0; k < 4; k++) b.assign();
  expect(b.put(2, "c")).toBe(true);
  expect(b.put(1, "b")).toBe(true);
  expect(b.head()).toBeUndefined(); // 0 is not in: nothing can be handed out
  expect(b.put(0, "a")).toBe(true);
  const out: string[] = [];
  while (b.head() !== undefined) out.push(b.shift().value);
  expect(out).toEqual(["a", "b", "c"]);
  expect(b.next).toBe(3);
  expect(b.waitingFor(3)).toBe(true);
  expect(b.drained).toBe(false);
  b.put(3, "d");
  expect(b.shift()).toEqual({ index: 3, value: "d" });
  expect(b.drained).toBe(true);
});

test("the first value of an index stands; later ones and ones already handed out are refused", () => {
  const b = new ReorderBuffer<string>(4);
  b.assign();
  b.assign();
  expect(b.put(1, "first")).toBe(true);
  expect(b.put(1, "second")).toBe(false);
  expect(b.settled(1)).toBe(true);
  b.put(0, "zero");
  b.shift();
  expect(b.settled(0)).toBe(true);
  expect(b.put(0, "again")).toBe(false);
  expect(b.shift().value).toBe("first");
});

test("the window bounds how many indexes are out", () => {
  const b = new ReorderBuffer<number>(2);
  b.assign();
  expect(b.full).toBe(false);
  b.assign();
  expect(b.full).toBe(true);
  b.put(1, 1); // a later value does not free the window
  expect(b.full).toBe(true);
  b.put(0, 0);
  b.shift();
  expect(b.full).toBe(false);
  expect(() => new ReorderBuffer(0)).toThrow(RangeError);
});

test("rest() hands out what is in past gaps, in order, up to a bound", () => {
  const b = new ReorderBuffer<string>(8);
  for (let k = 0; k < 6; k++) b.assign();
  b.put(4, "e");
  b.put(1, "b");
  b.put(5, "f");
  expect(b.rest().map((r) => r.index)).toEqual([1, 4, 5]);
  expect(b.rest(4).map((r) => r.value)).toEqual(["b", "e"]);
  expect(b.waitingFor(0)).toBe(true);
  expect(b.waitingFor(1)).toBe(false);
  expect(b.waitingFor(6)).toBe(false); // not assigned yet
});
