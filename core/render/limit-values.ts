// A template's limits as values: their defaults, names and parsing, without the PDF checks of
// limits.ts (which load pdf-lib): the CLI reads these at start, before any render code is needed.

/** Caps on a template's base PDF. */
export interface TemplateLimits {
  /** largest base PDF file, bytes @defaultValue 20 MB */
  maxBaseBytes: number;
  /** most pages @defaultValue 1000 */
  maxPages: number;
  /** most PDF objects (including those inside object streams) @defaultValue 200000 */
  maxObjects: number;
  /** most bytes all compressed streams may inflate to, together @defaultValue 100 MB */
  maxStreamBytes: number;
  /** longest time checking and parsing may take, ms @defaultValue 10000 */
  maxParseMs: number;
}

/** Defaults that fit real templates (letterheads, forms, scanned designs) with room to spare. */
export const templateLimitsDefaults: TemplateLimits = {
  maxBaseBytes: 20 * 1024 * 1024,
  maxPages: 1000,
  maxObjects: 200_000,
  maxStreamBytes: 100 * 1024 * 1024,
  maxParseMs: 10_000,
};

/** Environment variables for each limit (the worker's pdf handler reads them). */
export const TEMPLATE_LIMIT_ENV: Record<keyof TemplateLimits, string> = {
  maxBaseBytes: "DOCCTL_TEMPLATE_MAX_BASE_SIZE",
  maxPages: "DOCCTL_TEMPLATE_MAX_PAGES",
  maxObjects: "DOCCTL_TEMPLATE_MAX_OBJECTS",
  maxStreamBytes: "DOCCTL_TEMPLATE_MAX_STREAM_SIZE",
  maxParseMs: "DOCCTL_TEMPLATE_MAX_PARSE_TIME",
};

/**
 * Parses one limit as people write it: sizes as `20MB`, `512KB` or bytes; times as `10s`, `500ms` or
 * ms; counts as whole numbers. Throws an Error naming `where` when unreadable.
 */
export function parseLimit(key: keyof TemplateLimits, value: string, where: string): number {
  const v = value.trim();
  const bytes = key === "maxBaseBytes" || key === "maxStreamBytes";
  const time = key === "maxParseMs";
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(v);
  const units: Record<string, number> = bytes
    ? { "": 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 }
    : time
      ? { "": 1, ms: 1, s: 1000, m: 60_000 }
      : { "": 1 };
  const unit = m ? units[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0)
    throw new Error(`${where}: ${JSON.stringify(value)} is not ${bytes ? "a size like 20MB or 512KB" : time ? "a time like 10s or 500ms" : "a whole number"}`);
  return Math.round(Number(m[1]) * unit);
}

/** Limits set in the environment (DOCCTL_TEMPLATE_MAX_*); unreadable values are errors naming the variable. */
export function templateLimitsFromEnv(env: Record<string, string | undefined>): Partial<TemplateLimits> {
  const out: Partial<TemplateLimits> = {};
  for (const [key, name] of Object.entries(TEMPLATE_LIMIT_ENV) as [keyof TemplateLimits, string][])
    if (env[name]) out[key] = parseLimit(key, env[name]!, name);
  return out;
}
