// A counting semaphore for jobs in flight: claim every free slot at once, release them one by one.

export class Slots {
  private free: number;
  private waiters: ((n: number) => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`concurrency must be a positive integer (got ${size})`);
    this.free = size;
  }

  /** Wait until at least one slot is free and claim all free ones; 0 once closed. */
  claimAll(): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    if (this.free > 0) {
      const n = this.free;
      this.free = 0;
      return Promise.resolve(n);
    }
    return new Promise((r) => this.waiters.push(r));
  }

  release(n: number): void {
    if (n <= 0) return;
    this.free += n;
    const w = this.closed ? undefined : this.waiters.shift();
    if (w) {
      const k = this.free;
      this.free = 0;
      w(k);
    }
    if (this.free === this.size) for (const r of this.idleWaiters.splice(0)) r();
  }

  /** No more claims: pending and future claimAll() resolve to 0. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(0);
  }

  /** Resolves when every slot is free. */
  idle(): Promise<void> {
    return this.free === this.size ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  get available(): number {
    return this.free;
  }
}
