// Intl formatting of data values (pure): format specs, locales, and values that do not suit.
import { describe, expect, test } from "bun:test";
import { formatValue, parseFormat } from "../../core/render/format.ts";
import { planLayout } from "../../core/render/plan.ts";
import type { FontMetrics } from "../../core/render/text.ts";

const nb = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");
const fmt = (v: unknown, spec: string, locale?: string) => {
  const f = parseFormat(spec);
  if (typeof f === "string") throw new Error(f);
  const r = formatValue(v, f, locale);
  return "text" in r ? nb(r.text) : `error: ${r.error}`;
};

describe("formats", () => {
  test("currencies, numbers, percent and dates follow the locale", () => {
    expect(fmt(1234.5, "currency:EUR", "de-DE")).toBe("1.234,50 €");
    expect(fmt(1234.5, 'currency: "EUR"', "en-IE")).toBe("€1,234.50");
    expect(fmt("1234.5", "currency:JPY", "ja-JP")).toBe("￥1,235");
    expect(fmt(3.14159, "number:2", "fr-FR")).toBe("3,14");
    expect(fmt(0.19, "percent", "de-DE")).toBe("19 %");
    expect(fmt("2026-11-23", "date:long", "de-DE")).toBe("23. November 2026");
    expect(fmt("2026-11-23", "date", "ar-EG")).toBe("٢٣‏/١١‏/٢٠٢٦");
  });

  test("bad specs and values say what is wrong", () => {
    expect(parseFormat("currency")).toBe('currency needs a three-letter currency code, e.g. currency:EUR (got "")');
    expect(parseFormat("money:EUR")).toBe('unknown format "money" (known: number, currency, percent, date, datetime, time)');
    expect(fmt("abc", "currency:EUR")).toBe('error: "abc" is not a number (currency formatting needs one)');
    expect(fmt("next tuesday", "date")).toBe('error: "next tuesday" is not a date (give an ISO 8601 date like "2026-03-01" or epoch milliseconds)');
  });

  test("in a layout: a field's format and locale, pipes in texts, and a value that does not suit names the field", () => {
    const m: FontMetrics = { family: "Fake", ascent: 0.8, width: (s) => s.length * 0.5, missing: () => [] };
    const base = { pageCount: 1, pageSizes: [[600, 800]] as [number, number][] };
    const plan = planLayout(
      {
        locale: "de-DE",
        fields: [
          { field: "total", page: 1, x: 0, y: 0, format: "currency:EUR" },
          { field: "total", page: 1, x: 0, y: 20, format: "currency:USD", locale: "en-US" },
          { text: "Total {{total | currency: \"EUR\"}} ({{vat | percent}} VAT)", page: 1, x: 0, y: 40 },
        ],
      },
      { total: 1234.5, vat: 0.19 },
      base,
      () => m,
    );
    expect(plan.ops.map((o) => nb(o.text))).toEqual(["1.234,50 €", "$1,234.50", "Total 1.234,50 € (19 % VAT)"]);
    let err: { code?: string; message?: string } = {};
    try {
      planLayout({ fields: [{ field: "total", page: 1, x: 0, y: 0, format: "currency:EUR" }] }, { total: "n/a" }, base, () => m);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe("BAD_FIELD_VALUE");
    expect(err.message).toBe('data.total (fields[0]): "n/a" is not a number (currency formatting needs one)');
  });
});
