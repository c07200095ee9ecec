// Locale-aware formatting of data values with Intl: `{{total | currency: "EUR"}}` in texts, or a
// field's `format: "currency:EUR"`. Pure: the same value, format and locale always give the same text.

/** A parsed format: what kind and its one argument. */
export interface Format {
  kind: "number" | "currency" | "percent" | "date" | "datetime" | "time";
  /** number: fraction digits; currency: ISO 4217 code; date/datetime/time: "short" | "medium" | "long" | "full" */
  arg?: string;
}

const KINDS = ["number", "currency", "percent", "date", "datetime", "time"] as const;
const STYLES = ["short", "medium", "long", "full"];

/** Parses `currency:EUR`, `currency: "EUR"`, `number:2`, `date:long`; returns an error message instead when invalid. */
export function parseFormat(spec: string): Format | string {
  const m = /^\s*([a-z]+)\s*(?::\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+)))?\s*$/.exec(spec);
  if (!m) return `cannot read format ${JSON.stringify(spec)} (write e.g. "currency:EUR", "number:2", "percent", "date:long")`;
  const kind = m[1] as Format["kind"];
  const arg = m[2] ?? m[3] ?? m[4];
  if (!KINDS.includes(kind)) return `unknown format ${JSON.stringify(m[1])} (known: ${KINDS.join(", ")})`;
  if (kind === "currency" && !/^[A-Za-z]{3}$/.test(arg ?? "")) return `currency needs a three-letter currency code, e.g. currency:EUR (got ${JSON.stringify(arg ?? "")})`;
  if (kind === "number" && arg !== undefined && !/^\d{1,2}$/.test(arg)) return `number takes a count of fraction digits, e.g. number:2 (got ${JSON.stringify(arg)})`;
  if ((kind === "date" || kind === "datetime" || kind === "time") && arg !== undefined && !STYLES.includes(arg))
    return `${kind} takes one of ${STYLES.join(", ")} (got ${JSON.stringify(arg)})`;
  return { kind, arg };
}

/** Checks a locale tag; an error message when Intl does not know it. */
export function checkLocale(locale: string): string | undefined {
  try {
    new Intl.NumberFormat(locale);
    return undefined;
  } catch {
    // RangeError: Intl does not know the tag, said with examples
    return `${JSON.stringify(locale)} is not a locale tag (write e.g. "de-DE", "ar-EG", "ja-JP")`;
  }
}

const formatters = new Map<string, { format(v: number | Date): string }>();

/**
 * Formats a value; returns an error message (for a BAD_FIELD_VALUE naming the field) when the value
 * does not suit the format: numbers (or numeric strings) for number/currency/percent, ISO dates or
 * epoch milliseconds for dates.
 */
export function formatValue(value: unknown, f: Format, locale: string | undefined, tz?: string): { text: string } | { error: string } {
  // a calendar date ("2026-11-23") has no time of day: it is the same date in every time zone
  const dateOnly = typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value);
  const zone = dateOnly ? "UTC" : (tz ?? "UTC");
  const key = `${locale ?? ""}|${f.kind}|${f.arg ?? ""}|${zone}`;
  let fmt = formatters.get(key);
  if (!fmt) {
    const loc = locale ?? "en-US";
    switch (f.kind) {
      case "number":
        fmt = new Intl.NumberFormat(loc, f.arg !== undefined ? { minimumFractionDigits: Number(f.arg), maximumFractionDigits: Number(f.arg) } : {});
        break;
      case "currency":
        fmt = new Intl.NumberFormat(loc, { style: "currency", currency: f.arg!.toUpperCase() });
        break;
      case "percent":
        fmt = new Intl.NumberFormat(loc, { style: "percent", maximumFractionDigits: 2 });
        break;
      case "date":
        fmt = new Intl.DateTimeFormat(loc, { dateStyle: (f.arg ?? "medium") as "medium", timeZone: zone });
        break;
      case "datetime":
        fmt = new Intl.DateTimeFormat(loc, { dateStyle: (f.arg ?? "medium") as "medium", timeStyle: "short", timeZone: zone });
        break;
      case "time":
        fmt = new Intl.DateTimeFormat(loc, { timeStyle: (f.arg ?? "short") as "short", timeZone: zone });
        break;
    }
    formatters.set(key, fmt);
  }
  if (f.kind === "date" || f.kind === "datetime" || f.kind === "time") {
    const d = typeof value === "number" ? new Date(value) : typeof value === "string" ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value) : null;
    if (!d || Number.isNaN(d.getTime())) return { error: `${JSON.stringify(value)} is not a date (give an ISO 8601 date like "2026-03-01" or epoch milliseconds)` };
    return { text: fmt.format(d) };
  }
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(n)) return { error: `${JSON.stringify(value)} is not a number (${f.kind} formatting needs one)` };
  return { text: fmt.format(n) };
}

/** A pipe in a Mustache text: `{{ path | kind: arg }}`. */
export const PIPE = /\{\{\s*([^{}|\s]+)\s*\|\s*([^{}]+?)\s*\}\}/g;

/** Checks an IANA time zone name ("Europe/Berlin"); an error message when Intl does not know it. */
export function checkTimeZone(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return undefined;
  } catch {
    // RangeError: Intl does not know the zone, said with examples
    return `${JSON.stringify(tz)} is not a time zone (write an IANA name, e.g. "Europe/Berlin", "America/New_York", "UTC")`;
  }
}
