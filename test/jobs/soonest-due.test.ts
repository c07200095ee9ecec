// The pure top-k of scheduled jobs: the k soonest (due, id) after a cursor, whatever order they come in.
import { describe, expect, test } from "bun:test";
import { SoonestDue, byDue, dueCursor, parseDueCursor } from "../../core/runtime/client/soonest-due.ts";

const shuffled = <T>(xs: T[], seed = 7) => {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

describe("SoonestDue", () => {
  const items = Array.from({ length: 5000 }, (_, i) => ({ due: 1_000 + (i % 1000), id: `j${String(i).padStart(4, "0")}` }));
  const sorted = [...items].sort(byDue);

  test("keeps the k soonest of items offered in any order, soonest first, ties by id", () => {
    const k = new SoonestDue(10);
    for (const it of shuffled(items)) k.offer(it);
    expect(k.sorted()).toEqual(sorted.slice(0, 10));
  });

  test("pages through every item once with the cursor of each page's last", () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const k = new SoonestDue(700 + 1, after ? parseDueCursor(after) : undefined);
      for (const it of shuffled(items, seen.length + 1)) k.offer(it);
      const kept = k.sorted();
      const page = kept.slice(0, 700);
      seen.push(...page.map((p) => p.id));
      if (kept.length <= 700) break;
      after = dueCursor(page.at(-1)!);
    }
    expect(seen).toEqual(sorted.map((s) => s.id));
  });

  test("cursors: what a page gives is read back; anything else is not a cursor", () => {
    expect(parseDueCursor(dueCursor({ due: 1765000000000, id: "a-1_b" }))).toEqual({ due: 1765000000000, id: "a-1_b" });
    expect(parseDueCursor("12")).toBeUndefined();
    expect(parseDueCursor("x:1")).toBeUndefined();
  });
});
