// A counting semaphore for jobs in flight: claim every free slot at once, release them one by one.

export class Slots {
  private free: number;
  private waiters: { min: number; resolve: (n: number) => void }[] = [];
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  /**
   * `onOverRelease(extra)` is told when a release would free more slots than exist (the caller's
   * accounting is off: a slot released twice, or one released that was never claimed); the extra is
   * dropped either way, so the concurrency cannot creep up.
   */
  constructor(
    private readonly size: number,
    private readonly onOverRelease?: (extra: number) => void,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`concurrency must be a positive integer (got ${size})`);
    this.free = size;
  }

  /**
   * Wait until at least `min` slots are free (fewer if that is all of them) and claim all free ones;
   * 0 once closed. Claiming in groups keeps pulls few when many short jobs finish one by one.
   */
  claimAll(min = 1): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    const need = Math.max(1, Math.min(min, this.size));
    if (this.free >= need) {
      const n = this.free;
      this.free = 0;
      return Promise.resolve(n);
    }
    return new Promise((resolve) => this.waiters.push({ min: need, resolve }));
  }

  release(n: number): void {
    if (n <= 0) return;
    // Never above the size: concurrency must not creep up. A caller whose accounting is off is told.
    const extra = this.free + n - this.size;
    if (extra > 0) this.onOverRelease?.(extra);
    this.free = Math.min(this.size, this.free + n);
    const w = this.closed ? undefined : this.waiters[0];
    if (w && this.free >= w.min) {
      this.waiters.shift();
      const k = this.free;
      this.free = 0;
      w.resolve(k);
    }
    if (this.free === this.size) for (const r of this.idleWaiters.splice(0)) r();
  }

  /** No more claims: pending and future claimAll() resolve to 0. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.resolve(0);
  }

  /** Resolves when every slot is free. */
  idle(): Promise<void> {
    return this.free === this.size ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  get available(): number {
    return this.free;
  }
}
