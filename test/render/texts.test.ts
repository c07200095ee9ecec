// Mustache texts checked when a template is stored (syntax, pipes), conditional content with sections,
// and dates with a time zone (a field's `tz`, or the job's).
import { describe, expect, test } from "bun:test";
import { PDFDocument } from "pdf-lib";
import { layoutProblems } from "../../core/render/layout.ts";
import { planLayout } from "../../core/render/plan.ts";
import { buildTemplate } from "../../core/render/template.ts";
import { fontMetrics, loadFonts } from "../../core/render/fonts.ts";
import { formatValue } from "../../core/render/format.ts";
import type { Layout } from "../../core/render/layout.ts";
import { JobError } from "../../core/runtime/protocol/errors.ts";

const base = { pageCount: 1, pageSizes: [[595, 842]] as [number, number][] };
await loadFonts();

describe("template put checks every Mustache text and pipe", () => {
  test('"Total {{total" is refused at put, the field named', async () => {
    const doc = await PDFDocument.create();
    doc.addPage([595, 842]);
    try {
      await buildTemplate({ name: "t", base: await doc.save(), layout: { fields: [{ text: "Total {{total", page: 1, x: 10, y: 10 }] } });
      throw new Error("stored");
    } catch (err) {
      expect(err).toBeInstanceOf(JobError);
      expect((err as JobError).code).toBe("BAD_LAYOUT");
      expect((err as Error).message).toContain('fields[0].text: "Total {{total" is not a valid Mustache text: Unclosed tag at 13');
    }
  });
  test("an unknown pipe, an empty pipe and an unclosed section are refused with their place", () => {
    const p = layoutProblems(
      {
        fields: [
          { text: "{{total | dollars}}", page: 1, x: 10, y: 10 },
          { text: "{{total | }}", page: 1, x: 10, y: 30 },
          { kind: "qr", text: "{{#iban}}{{iban}}", page: 1, x: 10, y: 50, qrSize: 50 },
        ],
        tables: [{ rows: "items", page: 1, top: 100, bottom: 500, columns: [{ text: "{{qty | number: x}}", x: 10, width: 50 }] }],
      },
      base,
    );
    expect(p).toContain('fields[0].text: the pipe in "{{total | dollars}}": unknown format "dollars" (known: number, currency, percent, date, datetime, time)');
    expect(p.some((x) => x.startsWith('fields[1].text: the pipe in "{{total | }}": cannot read format'))).toBe(true);
    expect(p.some((x) => x.startsWith('fields[2].text: "{{#iban}}{{iban}}" is not a valid Mustache text: Unclosed section "iban"'))).toBe(true);
    expect(p.some((x) => x.startsWith('tables[0].columns[0].text: the pipe in "{{qty | number: x}}"'))).toBe(true);
  });
});

const metrics = (spec: string | string[]) => fontMetrics(Array.isArray(spec) ? (spec[0] as "sans") : (spec as "sans"));
const texts = (layout: Layout, data: unknown, tz?: string) => planLayout(layout, data, base, metrics, undefined, tz).ops.map((o) => o.text);

describe("conditional content", () => {
  const layout: Layout = { fields: [{ text: "{{#discount}}Discount {{discount}} %{{/discount}}{{^paid}}Payable within 30 days{{/paid}}", page: 1, x: 10, y: 10 }] };
  test("a section prints when its value is there, and not when it is missing", () => {
    expect(texts(layout, { discount: 5, paid: true })).toEqual(["Discount 5 %"]);
    expect(texts(layout, {})).toEqual(["Payable within 30 days"]);
  });
});

describe("dates with a time zone", () => {
  const layout = (tz?: string): Layout => ({ locale: "de-DE", fields: [{ field: "at", format: "datetime", page: 1, x: 10, y: 10, ...(tz ? { tz } : {}) }] });
  test("14:05Z prints as 15:05 in Berlin (field tz), 09:05 in New York (job tz), 14:05 without one", () => {
    const at = "2026-11-23T14:05:00Z";
    expect(texts(layout("Europe/Berlin"), { at })[0]).toContain("15:05");
    expect(texts(layout(), { at }, "America/New_York")[0]).toContain("09:05");
    expect(texts(layout(), { at })[0]).toContain("14:05");
    // the field's zone wins over the job's
    expect(texts(layout("Europe/Berlin"), { at }, "America/New_York")[0]).toContain("15:05");
  });
  test("a calendar date is the same date in every zone", () => {
    expect(formatValue("2026-11-23", { kind: "date", arg: "long" }, "en-US", "Pacific/Honolulu")).toEqual({ text: "November 23, 2026" });
  });
  test("an unknown zone is a layout problem", () => {
    expect(layoutProblems(layout("Mars/Olympus"), base)).toContain('fields[0].tz: "Mars/Olympus" is not a time zone (write an IANA name, e.g. "Europe/Berlin", "America/New_York", "UTC")');
  });
});
