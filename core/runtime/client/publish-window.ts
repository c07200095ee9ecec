// Publishes with a bounded number of PubAcks outstanding: the next publish waits for a free place; the
// first failure stops further publishes and is thrown by the next wait (or at the end).

export class PublishWindow {
  private outstanding = 0;
  private slotFree?: () => void;
  private failure: unknown;
  private failed = false;
  private inflight = new Set<Promise<void>>();

  constructor(readonly size: number) {}

  /** Resolves when fewer than `size` publishes are out; throws the first failure. */
  async free(): Promise<void> {
    while (this.outstanding >= this.size && !this.failed) await new Promise<void>((w) => (this.slotFree = w));
    if (this.failed) throw this.failure;
  }

  /** Tracks a publish (started by the caller after free()). */
  add(publish: Promise<void>): void {
    this.outstanding++;
    const p: Promise<void> = publish
      .catch((err) => {
        if (!this.failed) (this.failed = true), (this.failure = err);
      })
      .finally(() => {
        this.outstanding--;
        this.inflight.delete(p);
        this.slotFree?.();
        this.slotFree = undefined;
      });
    this.inflight.add(p);
  }

  /** Resolves once every publish is in; throws the first failure. */
  async settled(): Promise<void> {
    await Promise.all(this.inflight);
    if (this.failed) throw this.failure;
  }
}
