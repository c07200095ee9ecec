// Results put back in input order (pure, no I/O): each job gets the next index as it is published;
// results come in any order and are handed out from the head, index by index. At most `window`
// indexes are out (assigned and not handed out), which bounds the submitter's memory whatever the batch.

export class ReorderBuffer<T> {
  private pending = new Map<number, T>();
  /** the next index to assign (= how many were assigned) */
  private assigned = 0;
  /** the next index to hand out (= how many were handed out) */
  private emitted = 0;

  constructor(readonly window: number) {
    if (!(window >= 1)) throw new RangeError(`the window must be at least 1 (got ${window})`);
  }

  /** How many indexes were assigned. */
  get size(): number {
    return this.assigned;
  }

  /** The index handed out next. */
  get next(): number {
    return this.emitted;
  }

  /** No index may be assigned until the head is handed out. */
  get full(): boolean {
    return this.assigned - this.emitted >= this.window;
  }

  /** Every assigned index was handed out. */
  get drained(): boolean {
    return this.emitted >= this.assigned;
  }

  /** The next index (its job is about to be published). */
  assign(): number {
    return this.assigned++;
  }

  /** `i` is assigned, not handed out and has no value yet. */
  waitingFor(i: number): boolean {
    return i < this.assigned && i >= this.emitted && !this.pending.has(i);
  }

  /** `i` has its value already, or was handed out (a later value for it is a duplicate). */
  settled(i: number): boolean {
    return i < this.emitted || this.pending.has(i);
  }

  /** The value of index `i`; false (and nothing kept) when it was settled already: the first value stands. */
  put(i: number, value: T): boolean {
    if (this.settled(i)) return false;
    this.pending.set(i, value);
    return true;
  }

  /** The value at the head, if it is in (it stays until shift()). */
  head(): T | undefined {
    return this.pending.get(this.emitted);
  }

  /** Hands out the head (which must be in): its index and value. */
  shift(): { index: number; value: T } {
    const index = this.emitted;
    if (!this.pending.has(index)) throw new Error(`the head ${index} is not in`);
    const value = this.pending.get(index)!;
    this.pending.delete(index);
    this.emitted++;
    return { index, value };
  }

  /** The values in, past gaps, in index order (at most index `upTo`): what is handed out when the run ends early. */
  rest(upTo = Infinity): { index: number; value: T }[] {
    return [...this.pending.keys()]
      .filter((k) => k <= upTo)
      .sort((a, b) => a - b)
      .map((index) => ({ index, value: this.pending.get(index)! }));
  }
}
