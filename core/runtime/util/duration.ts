// Durations are milliseconds inside docctl; `500ms`, `5s`, `2m`, `1h`, `1d` are parsed only at the edge.
import { ConfigError } from "../protocol/errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse `5s`, `2m`, `1h30m`, `250ms` or a bare number of ms; `option` names the flag in the error. */
export function parseDuration(text: string, option: string): number {
  const s = String(text).trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (s.length === 0 || matched !== s.length) {
    throw new ConfigError(`${option}: "${text}" is not a duration; use a number with a unit, like 500ms, 5s, 2m, 1h`, option);
  }
  return Math.round(total);
}

/** `1234` → `1.2s`, for people. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  // Round to the shown unit first, then split: 119 700 ms is 2m0s, not 1m60s.
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  const m = Math.round(ms / 60_000);
  return `${Math.floor(m / 60)}h${m % 60}m`;
}
