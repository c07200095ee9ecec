// Where the lines of a flowing text block go: which page, and how far down. Pure: no PDF, no I/O.
// Widows and orphans: a page break never leaves fewer than `orphans` lines of a paragraph at the foot
// of a page, nor carries fewer than `widows` to the top of the next, when the paragraph allows it.

export interface LineFlowInput {
  /** the paragraph of each line (lines of one paragraph are consecutive) */
  paras: number[];
  /** lines that fit on the first page, and on each continuation page */
  firstCapacity: number;
  nextCapacity: number;
  orphans: number;
  widows: number;
}

/** For each line, its page (0 = the first) and its index on that page. */
export interface LineFlow {
  at: { page: number; index: number }[];
  continuationPages: number;
}

export function flowLines({ paras, firstCapacity, nextCapacity, orphans, widows }: LineFlowInput): LineFlow {
  const n = paras.length;
  const at: LineFlow["at"] = new Array(n);
  const first = (i: number) => {
    while (i > 0 && paras[i - 1] === paras[i]) i--;
    return i;
  };
  const end = (i: number) => {
    while (i + 1 < n && paras[i + 1] === paras[i]) i++;
    return i + 1;
  };
  let start = 0;
  let page = 0;
  while (start < n) {
    const cap = Math.max(1, page === 0 ? firstCapacity : nextCapacity);
    let brk = start + cap;
    if (brk < n && paras[brk] === paras[brk - 1]) {
      // the break falls inside a paragraph
      const f = first(brk);
      const before = brk - f; // lines of the paragraph on this page
      const after = end(brk) - brk; // lines carried over
      if (before < orphans) brk = f;
      else if (after < widows) {
        const need = widows - after;
        brk = before - need >= orphans ? brk - need : f;
      }
      // never an empty page: a paragraph longer than a page breaks where it must
      if (brk <= start) brk = start + cap;
    }
    for (let i = start; i < Math.min(brk, n); i++) at[i] = { page, index: i - start };
    start = Math.min(brk, n);
    if (start < n) page++;
  }
  return { at, continuationPages: page };
}
