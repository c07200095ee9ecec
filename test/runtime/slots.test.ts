// The slots of a handler: claims, releases, and a release beyond the size reported, not hidden.
import { expect, test } from "bun:test";
import { Slots } from "../../core/runtime/worker/slots.ts";

test("claimAll takes every free slot; releases give them back", async () => {
  const s = new Slots(4);
  expect(await s.claimAll()).toBe(4);
  s.release(1);
  expect(s.available).toBe(1);
  s.release(3);
  expect(s.available).toBe(4);
});

test("a release beyond the size is reported with the extra and dropped", async () => {
  const extras: number[] = [];
  const s = new Slots(2, (extra) => extras.push(extra));
  expect(await s.claimAll()).toBe(2);
  s.release(2);
  expect(extras).toEqual([]);
  s.release(1); // released twice
  expect(extras).toEqual([1]);
  expect(s.available).toBe(2);
  expect(await s.claimAll()).toBe(2); // the concurrency did not creep up
});
