// What a handler may pass to ctx.progress(), checked and brought to one shape (pure).

import type { JobProgressV1 } from "../protocol/control.ts";

/** A job's progress as reported: a fraction 0..1 and/or done of total, and a message (the presence entry's shape). */
export type JobProgress = JobProgressV1;

/** `0.4` or `{done, total, message}` → a JobProgress; throws a TypeError naming what is wrong. */
export function progressOf(p: number | { done?: number; total?: number; message?: string }): JobProgress {
  if (typeof p === "number") {
    if (!Number.isFinite(p)) throw new TypeError(`ctx.progress(): expected a fraction between 0 and 1, got ${p}`);
    return { fraction: Math.max(0, Math.min(1, p)) };
  }
  if (!p || typeof p !== "object") throw new TypeError(`ctx.progress(): expected a number between 0 and 1 or {done, total, message}, got ${typeof p}`);
  const out: JobProgress = {};
  for (const k of ["done", "total"] as const) {
    const v = p[k];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new TypeError(`ctx.progress(): "${k}" must be a number of at least 0, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  if (p.message !== undefined) out.message = String(p.message).slice(0, 200);
  if (out.total && out.done !== undefined) out.fraction = Math.max(0, Math.min(1, out.done / out.total));
  return out;
}
