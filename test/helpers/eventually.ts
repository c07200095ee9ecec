// The one polling helper: wait for a condition instead of sleeping a fixed time.

export interface EventuallyOptions {
  /** give up after this long, ms (default 15 s) */
  timeoutMs?: number;
  /** poll this often, ms (default 50) */
  everyMs?: number;
  /** what is awaited, for the error */
  what?: string;
  /** more to show when it times out (a log tail, the last state) */
  context?: () => string;
}

/**
 * Calls `fn` until it returns a truthy value and resolves with it. A throw counts as "not yet" (the
 * last one is shown if time runs out). `opts` may be the timeout alone: `eventually(fn, 5000, "what")`.
 */
export async function eventually<T>(fn: () => T | Promise<T>, opts: EventuallyOptions | number = {}, what?: string): Promise<NonNullable<T>> {
  const o: EventuallyOptions = typeof opts === "number" ? { timeoutMs: opts, what } : { what, ...opts };
  const timeoutMs = o.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last ? `: ${(last as Error).message ?? String(last)}` : "";
      const more = o.context ? `\n${o.context()}` : "";
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${o.what ?? "a condition"}${why}${more}`);
    }
    await new Promise((r) => setTimeout(r, o.everyMs ?? 50));
  }
}
