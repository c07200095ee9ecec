// What each option's value may be, declared beside the option (`check` in a command's option spec), so
// every command and `docctl config` reject a bad value from a flag, the environment or docctl.toml
// alike, naming where it was set and what is allowed.
import { parseDuration } from "../core/runtime/util/duration.ts";
import { tokenProblem } from "../core/runtime/protocol/subjects.ts";
import { parseAddr } from "../core/runtime/http/server.ts";
import type { Setting } from "./settings.ts";

/** Returns what is allowed when `value` is not, else undefined. */
export type ValueCheck = (value: string) => string | undefined;

/** A whole number of at least `min`. */
export const count = (min: number): ValueCheck => (v) => (/^\d+$/.test(v) && Number(v) >= min ? undefined : `must be a whole number of at least ${min}`);

/** A duration: `500ms`, `5s`, `2m`, `1h30m`, or a bare number of ms. */
export const duration: ValueCheck = (v) => {
  try {
    parseDuration(v, "value");
    return undefined;
  } catch {
    return "must be a duration: a number with a unit, like 500ms, 5s, 2m, 1h";
  }
};

/** One of a fixed set of words. */
export const oneOf = (...allowed: string[]): ValueCheck => (v) => (allowed.includes(v) ? undefined : `must be one of ${allowed.join(", ")}`);

/** Handler names (tokens), comma-separated. */
export const tokenList: ValueCheck = (v) => {
  const bad = v.split(",").map((s) => s.trim()).filter(Boolean).find((t) => tokenProblem(t));
  return bad === undefined ? undefined : `must be names separated by commas, each of letters, digits, "_" and "-" (not "${bad}")`;
};

/** One token (a worker id, a handler name). */
export const token: ValueCheck = (v) => (tokenProblem(v) ? `must be one name of letters, digits, "_" and "-", at most 128 characters` : undefined);

/** `key=value` pairs; `sep` lets one value hold several (`pdf=2,title=1`). */
export const pairs = (what: string, valueCheck?: ValueCheck, sep?: string): ValueCheck => (v) => {
  const items = sep ? v.split(sep).map((s) => s.trim()).filter(Boolean) : [v];
  const ok = items.length > 0 && items.every((i) => {
    const m = /^([^=\s]+)=(.+)$/.exec(i);
    return m && !(valueCheck && valueCheck(m[2]!));
  });
  return ok ? undefined : `must be ${what}`;
};

/** An http(s) URL. */
export const httpUrl: ValueCheck = (v) => (/^https?:\/\/[^\s/]+/.test(v) ? undefined : "must be an http:// or https:// URL");

/** A listen address: HOST:PORT or PORT. */
export const listenAddr: ValueCheck = (v) => {
  try {
    parseAddr(v);
    return undefined;
  } catch {
    return "must be HOST:PORT or PORT, e.g. 127.0.0.1:9090";
  }
};

/** Where a setting was given, for messages: `docctl.toml:2: [worker] concurrency`, `DOCCTL_WORKER_CONCURRENCY`, `--concurrency`. */
export function placeOf(s: Setting): string {
  if (s.source === "file") return `${s.where}: ${s.section ? `[${s.section}] ` : ""}${s.key}`;
  if (s.source === "env") return s.where ?? s.key;
  if (s.source === "context") return `nats context ${s.where}: ${s.key}`;
  return `--${s.key}`;
}

/**
 * Every problem with `settings` against their options' checks, one readable line each:
 * `docctl.toml:2: [worker] concurrency: must be a whole number of at least 1 (got "lots")`. Defaults are not checked.
 */
export function settingProblems(settings: Setting[], checkOf: (section: string, key: string) => ValueCheck | undefined): string[] {
  const out: string[] = [];
  for (const s of settings) {
    if (s.source === "default" || s.value === undefined) continue;
    const check = checkOf(s.section, s.key);
    if (!check) continue;
    for (const v of Array.isArray(s.value) ? s.value : [s.value]) {
      if (typeof v !== "string") continue;
      const problem = check(v);
      if (problem) out.push(`${placeOf(s)}: ${problem} (got ${JSON.stringify(v)})`);
    }
  }
  return out;
}
