// Pure rate-limit arithmetic: starts are spaced evenly, one every per_ms/count.

/**
 * Given the next free start time recorded fleet-wide (`prev`, ms since epoch, 0 = none) and now,
 * when this job may start and what the next free start time becomes. Evenly spaced starts mean
 * that no window of `per_ms` ever holds more than `count` starts, bursts included.
 */
export function nextRateStart(prev: number, now: number, rate: { count: number; per_ms: number }): { startAt: number; next: number } {
  const interval = rate.per_ms / rate.count;
  const startAt = Math.max(now, prev);
  return { startAt, next: startAt + interval };
}

/** Parse `5/s`, `100/m`, `2/h` into a rate; undefined when it is not one. */
export function parseRate(text: string): { count: number; per_ms: number } | undefined {
  const m = /^\s*(\d+)\s*\/\s*(s|sec|m|min|h|hour)\s*$/.exec(text);
  if (!m) return undefined;
  const per = { s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hour: 3_600_000 }[m[2] as "s"];
  const count = Number(m[1]);
  return count > 0 ? { count, per_ms: per } : undefined;
}
