// Identical log lines in a row (a reconnect loop, a flood of one failure) become one line plus
// "… repeated N more times", written when another line comes or when the window ends.

/** How repeats are merged. */
export interface RepeatOptions {
  /** repeats within this long of the line's first writing are counted, not written, ms */
  windowMs: number;
  /** the clock (tests pass their own) */
  now(): number;
  /** whether two lines' contexts are one source (default: the same object) */
  same(a: unknown, b: unknown): boolean;
}

export const repeatDefaults: RepeatOptions = { windowMs: 10_000, now: () => Date.now(), same: (a, b) => a === b };

/** The text a line is compared by: strings as they are, errors by message, anything else as JSON. */
export function lineKey(level: string, args: readonly unknown[]): string {
  const part = (x: unknown) => {
    if (typeof x === "string") return x;
    if (x instanceof Error) return x.message;
    try {
      return JSON.stringify(x) ?? String(x);
    } catch {
      return String(x); // a value JSON cannot write (a cycle, a BigInt): its String() form is the key
    }
  };
  return `${level}\u0000${args.map(part).join(" ")}`;
}

/** Merges identical consecutive lines before `write` sees them. */
export class RepeatMerger {
  private last?: { key: string; level: string; args: readonly unknown[]; context: unknown; since: number; count: number };
  private timer?: ReturnType<typeof setTimeout>;
  private o: RepeatOptions;

  /** `context` (the line's source and what `write` needs of it) is handed back to `write` with the line and its summary. */
  constructor(private write: (level: string, args: readonly unknown[], context?: unknown) => void, o: Partial<RepeatOptions> = {}) {
    this.o = { ...repeatDefaults, ...o };
  }

  /** Write `args` at `level`, or count it when it repeats the line before (from the same source: `same`). */
  line(level: string, args: readonly unknown[], context?: unknown): void {
    const key = lineKey(level, args);
    const l = this.last;
    const t = this.o.now();
    if (l && l.key === key && this.o.same(l.context, context) && t - l.since < this.o.windowMs) {
      l.count++;
      this.arm();
      return;
    }
    this.flush();
    this.write(level, args, context);
    this.last = { key, level, args, context, since: t, count: 0 };
  }

  /** Write the pending "… repeated N more times", if any. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const l = this.last;
    if (!l || l.count === 0) return;
    const text = l.key.slice(l.key.indexOf("\u0000") + 1);
    const shown = text.length > 100 ? `${text.slice(0, 100)}…` : text;
    this.write(l.level, [`… repeated ${l.count} more time${l.count === 1 ? "" : "s"}: ${shown}`], l.context);
    // a line that keeps coming is summed up once per window
    l.count = 0;
    l.since = this.o.now();
  }

  // The summary comes at the latest when the window ends; the timer never keeps a process alive.
  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.o.windowMs);
    (this.timer as { unref?: () => void }).unref?.();
  }
}
