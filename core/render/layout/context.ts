// What the checks of one layout share: the base's facts, the fonts the layout may name, and page checks.
import { BUILTIN_FONTS, type BaseInfo } from "./types.ts";
import { type Add, round } from "./check.ts";

/** One validation run: the base, the problems so far, and checks that need the base. */
export interface LayoutCheck {
  base: BaseInfo;
  add: Add;
  /** built-in fonts, then the template's */
  fontNames: string[];
  /** 1-based pages in omitPages */
  omitted: Set<number>;
  /** the layout's locale (default for fields) */
  locale?: string;
  /** pages a table or flowing field starts on, and which ("tables[0]") */
  flowPages: Map<number, string>;
  /** reports a page number the base lacks (a value that is no page number is the schema's problem) */
  page(v: unknown, path: string): void;
  /** reports a position off its page (`yOnly`: `p` is already the y's path) */
  onPage(pageNo: unknown, x: unknown, y: unknown, p: string, yOnly?: boolean): void;
}

export function layoutCheck(base: BaseInfo, add: Add, locale?: string): LayoutCheck {
  const plural = (n: number) => `${n} page${n === 1 ? "" : "s"}`;
  return {
    base,
    add,
    fontNames: [...BUILTIN_FONTS, ...(base.fonts ?? [])],
    omitted: new Set(),
    locale,
    flowPages: new Map(),
    page(v, path) {
      if (!Number.isInteger(v)) return; // not a page number: the schema says so (types.ts pageNo)
      const n = v as number;
      if (n < 1 || n > base.pageCount) add(path, `page ${n} does not exist (the base PDF has ${plural(base.pageCount)})`);
    },
    // A position off the page would print nothing, silently: say so.
    onPage(pageNo, x, y, p, yOnly = false) {
      const size = Number.isInteger(pageNo) ? base.pageSizes?.[(pageNo as number) - 1] : undefined;
      if (!size) return;
      const [w, h] = size;
      const where = yOnly ? p : `${p}.y`;
      if (typeof x === "number" && (x < 0 || x > w)) add(`${p}.x`, `${x} is off the page (page ${pageNo} is ${round(w)}pt wide)`);
      if (typeof y === "number" && (y < 0 || y > h)) add(where, `${y} is off the page (page ${pageNo} is ${round(h)}pt tall; y is measured from the top)`);
    },
  };
}
