// One memory budget per proc for what rendering keeps between documents: decoded images and templates
// (with their fonts and assets), counted in bytes, least recently used dropped first. Caches capped by
// entry count were not bounded: 64 decoded 6300x6300 images are about 10 GB, and a proc rendering
// data-URL images grew by a gigabyte per batch until the machine ran out of memory.

/** Defaults: `--render-memory` of `docctl worker`. */
export const renderMemoryDefaults = { budgetBytes: 256 * 1024 * 1024 };

interface Charge {
  bytes: number;
  evict: () => void;
}

/** A byte budget shared by caches: each entry is charged its size; over the budget, the least recently used go. */
export class MemoryBudget {
  #limit: number;
  #used = 0;
  /** Map order is recency order: the first entry is the least recently used */
  #entries = new Map<string, Charge>();
  /** entries dropped to stay within the budget, and entries refused because they alone are over it */
  evictions = 0;
  refusals = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get limit(): number {
    return this.#limit;
  }
  /** bytes charged now */
  get used(): number {
    return this.#used;
  }
  get size(): number {
    return this.#entries.size;
  }

  /** A new limit; entries are dropped until the rest fit. */
  setLimit(bytes: number): void {
    this.#limit = bytes;
    this.#trim();
  }

  /**
   * Charge `bytes` for `id`, dropping the least recently used other entries until it fits; `evict` is
   * called when this entry is dropped later. False (nothing charged) when it alone is over the budget:
   * the caller uses it once and does not keep it.
   */
  add(id: string, bytes: number, evict: () => void): boolean {
    this.remove(id);
    if (bytes > this.#limit) {
      this.refusals++;
      return false;
    }
    this.#entries.set(id, { bytes, evict });
    this.#used += bytes;
    this.#trim(id);
    return true;
  }

  /** `id` was used: it becomes the most recently used. */
  touch(id: string): void {
    const c = this.#entries.get(id);
    if (!c) return;
    this.#entries.delete(id);
    this.#entries.set(id, c);
  }

  /** Forget `id` (its cache dropped it itself); its evict is not called. */
  remove(id: string): void {
    const c = this.#entries.get(id);
    if (!c) return;
    this.#entries.delete(id);
    this.#used -= c.bytes;
  }

  /** Drop everything (calling each evict). */
  clear(): void {
    for (const [id, c] of [...this.#entries]) {
      this.#entries.delete(id);
      this.#used -= c.bytes;
      c.evict();
    }
  }

  #trim(keep?: string): void {
    for (const [id, c] of this.#entries) {
      if (this.#used <= this.#limit) return;
      if (id === keep) continue;
      this.#entries.delete(id);
      this.#used -= c.bytes;
      this.evictions++;
      c.evict();
    }
  }
}

/** The proc's render memory budget (decoded images, templates with their fonts and assets). */
export const renderMemory = new MemoryBudget(renderMemoryDefaults.budgetBytes);

/** Set the proc's render memory budget, bytes (`docctl worker --render-memory`). */
export function setRenderMemoryBudget(bytes: number): void {
  if (!(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`the render memory budget must be a number of bytes >= 0 (got ${bytes})`);
  renderMemory.setLimit(bytes);
}

/** "256MB", "512k", "1.5g", "1048576" as bytes; throws naming `where` otherwise. Pure. */
export function parseByteSize(value: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(value.trim());
  const units: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };
  const unit = m ? units[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`${where}: ${JSON.stringify(value)} is not a size like 256MB, 512KB or 1GB`);
  return Math.round(Number(m[1]) * unit);
}
