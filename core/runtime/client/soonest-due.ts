// The soonest-due page of scheduled jobs without sorting them all: a bounded max-heap keeps the `k`
// smallest (due time, id) seen after the cursor, so memory is k entries whatever the number of jobs.
import { Heap } from "heap-js";

/** A scheduled job's place in the listing: due time, then id. */
export interface DueKey {
  due: number;
  id: string;
}

/** (due, id) order, soonest first. */
export const byDue = (a: DueKey, b: DueKey): number => a.due - b.due || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The `<due ms>:<id>` cursor of a key, and back (undefined when it is not one). */
export const dueCursor = (k: DueKey): string => `${k.due}:${k.id}`;
export function parseDueCursor(c: string): DueKey | undefined {
  const m = /^(\d{1,15}):([A-Za-z0-9_-]+)$/.exec(c);
  return m ? { due: Number(m[1]), id: m[2]! } : undefined;
}

/** Keeps the `k` soonest items after `after` (exclusive) among those offered. */
export class SoonestDue<T extends DueKey> {
  // a max-heap: its top is the latest of the kept ones, the first to go when a sooner one comes
  private heap = new Heap<T>((a, b) => byDue(b, a));

  constructor(private k: number, private after?: DueKey) {}

  offer(item: T): void {
    if (this.after && byDue(item, this.after) <= 0) return;
    if (this.heap.size() < this.k) this.heap.push(item);
    else if (byDue(item, this.heap.peek()!) < 0) this.heap.pushpop(item);
  }

  /** The kept items, soonest first. */
  sorted(): T[] {
    return this.heap.toArray().sort(byDue);
  }
}
