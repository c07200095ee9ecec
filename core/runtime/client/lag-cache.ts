// Lag per handler, read with a time limit and kept: /metrics answers from the last good reading when
// JetStream does not answer in time, instead of waiting (a scrape took 6 s and dropped the gauges while
// NATS was down). Read on demand (refresh) or in the background (start). The reading's age is exposed
// so a stale number can be told from a fresh one.
import type { JetStreamManager } from "@nats-io/jetstream";
import { readHandlerLags, type HandlerLag } from "./lag.ts";

export interface LagCacheOptions {
  /** how often start() reads the lag, ms */
  intervalMs: number;
  /** a reading that takes longer is abandoned (the last good one stays), ms */
  timeoutMs: number;
}

export const lagCacheDefaults: LagCacheOptions = { intervalMs: 5_000, timeoutMs: 3_000 };

export class LagCache {
  #last: HandlerLag[] = [];
  #at = 0;
  #timer: ReturnType<typeof setInterval> | null = null;
  #busy = false;

  constructor(
    private readonly jsm: () => JetStreamManager | undefined,
    private readonly handlers: () => string[],
    private readonly o: LagCacheOptions = lagCacheDefaults,
  ) {}

  /** Begin reading (one reading at once, then every intervalMs). */
  start(): void {
    if (this.#timer) return;
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.o.intervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Read now; keeps the last good reading when JetStream does not answer in time. */
  async refresh(): Promise<void> {
    const jsm = this.jsm();
    if (!jsm || this.#busy) return;
    this.#busy = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const lags = await Promise.race([
        readHandlerLags(jsm, this.handlers()),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), this.o.timeoutMs))),
      ]);
      this.#last = lags;
      this.#at = Date.now();
    } catch {
      /* NATS away or slow: the last good reading stands */
    } finally {
      clearTimeout(timer);
      this.#busy = false;
    }
  }

  /** The last good reading and when it was taken (0: never). */
  get(): { lags: HandlerLag[]; at: number } {
    return { lags: this.#last, at: this.#at };
  }
}
