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
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`;
}
