// Flowing text: a field that continues on continuation pages, justified and hyphenated, soft hyphens
// honoured, widows and orphans kept; read back with poppler (pdftotext, its bounding boxes).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PDFDocument } from "pdf-lib";
import { renderLayout } from "../../core/render/layout-engine.ts";
import { layoutProblems } from "../../core/render/layout.ts";
import type { Layout } from "../../core/render/layout.ts";
import { flowLines } from "../../core/render/flow.ts";
import { wrapLines } from "../../core/render/text.ts";
import { pdfPages, pdfText, qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("docctl-flow-");
afterAll(() => tmp.cleanup());

const SHY = "\u00ad";
const PARAGRAPHS = [
  "Sehr geehrte Damen und Herren,",
  "wir bedanken uns für Ihre Anfrage vom vergangenen Donnerstag und übersenden Ihnen hiermit unser Angebot über die Lieferung und Montage der gewünschten Werkzeugausstattung für Ihre Niederlassung. Die Preise verstehen sich zuzüglich der gesetzlichen Umsatzsteuer und gelten für einen Zeitraum von sechzig Tagen ab dem Datum dieses Schreibens.",
  `Für die Verschiffung beauftragen wir wie gewohnt die Donau${SHY}dampf${SHY}schiff${SHY}fahrts${SHY}gesell${SHY}schaft, deren Transportversicherung sämtliche Schäden während der Überführung abdeckt. Eine Zwischenlagerung in Passau ist nicht vorgesehen.`,
  "Die Gewährleistungsbedingungen entsprechen den Allgemeinen Geschäftsbedingungen, die diesem Schreiben beiliegen. Insbesondere weisen wir darauf hin, dass Verschleißteile wie Sägeblätter, Bohrer und Schleifmittel von der Gewährleistung ausgenommen sind, sofern kein Materialfehler nachgewiesen werden kann. Reklamationen sind unverzüglich nach Feststellung des Mangels schriftlich anzuzeigen; die Beweislast für das Vorliegen eines Mangels bei Gefahrübergang richtet sich nach den gesetzlichen Bestimmungen.",
  "Unsere Montageteams arbeiten in der Regel montags bis freitags zwischen sieben und siebzehn Uhr. Sollten Arbeiten außerhalb dieser Zeiten erforderlich werden, berechnen wir die tariflichen Zuschläge. Voraussetzung für einen reibungslosen Ablauf ist, dass die Räumlichkeiten zum vereinbarten Termin zugänglich, beheizt und mit ausreichender Stromversorgung ausgestattet sind. Verzögerungen, die nicht von uns zu vertreten sind, werden nach tatsächlichem Aufwand abgerechnet.",
];
// a letter of about three pages: the body paragraphs several times over, each numbered
const body = [PARAGRAPHS[0], ...Array.from({ length: 5 }, (_, k) => PARAGRAPHS.slice(1).map((p, j) => `${k * 4 + j + 1}. ${p}`)).flat(), "Mit freundlichen Grüßen", "ACME Werkzeuge GmbH"].join("\n");

const X = 70;
const WIDTH = 455;
const layout: Layout = {
  locale: "de-DE",
  defaults: { font: "sans", size: 10.5 },
  fields: [
    { field: "to", page: 1, x: X, y: 110, maxWidth: 250 },
    { text: "Berlin, {{date | date: long}}", page: 1, x: X + WIDTH, y: 110, align: "right" },
    { field: "body", page: 1, x: X, y: 200, maxWidth: WIDTH, flow: true, bottom: 760, continueTop: 80, align: "justify", hyphenate: true, lineHeight: 1.35 },
    { text: "Seite {{$page}} von {{$pages}}", page: 1, x: X + WIDTH, y: 800, align: "right", size: 8, repeat: true },
  ],
};

async function base(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.addPage([595.28, 841.89]);
  return await doc.save();
}

describe("a three-page letter with justified, hyphenated flowing text", () => {
  let pdf = "";
  let bbox = "";
  beforeAll(async () => {
    const out = await renderLayout(await base(), layout, { to: "Société Générale d'Électricité\nRue de la Paix 5\n75002 Paris", date: "2026-11-23", body });
    pdf = join(tmp.path, "letter.pdf");
    await Bun.write(pdf, out.bytes);
    bbox = (await run(["pdftotext", "-bbox-layout", pdf, "-"])).stdout;
  }, 60_000);

  test("the text continues over three pages, every page numbered, the file clean", async () => {
    await qpdfCheck(pdf);
    expect(await pdfPages(pdf)).toBe(3);
    for (const n of [1, 2, 3]) expect(await pdfText(pdf, { page: n })).toContain(`Seite ${n} von 3`);
    expect(await pdfText(pdf, { page: 3 })).toContain("Mit freundlichen Grüßen");
    expect((await run(["pdfinfo", pdf])).stderr).toBe("");
  });

  test("every word arrives once and in order (hyphenated words joined again)", async () => {
    const text = (await run(["pdftotext", "-enc", "UTF-8", pdf, "-"])).stdout;
    const words = text
      .replace(/Seite \d von 3/g, "")
      .replace(/Société Générale d'Électricité\s+Rue de la Paix 5\s+75002 Paris/, "")
      .replace(/Berlin, 23\. November 2026/, "")
      .replace(/(\p{L})-\n\s*(\p{Ll})/gu, "$1$2") // a line that ends in a hyphen inside a word
      .split(/\s+/)
      .filter(Boolean);
    const want = body.replaceAll(SHY, "").split(/\s+/).filter(Boolean);
    expect(words).toEqual(want);
  });

  test("hyphenation breaks words at line ends, and no soft hyphen is drawn inside a line", async () => {
    // -layout keeps the hyphens (poppler's reading-order mode joins hyphenated words again)
    const text = (await run(["pdftotext", "-layout", "-enc", "UTF-8", pdf, "-"])).stdout;
    expect(text).not.toContain(SHY);
    const broken = text.split("\n").filter((l) => /\p{Ll}-$/u.test(l.trim()));
    expect(broken.length).toBeGreaterThan(3);
    // the compound with soft hyphens is either whole or broken at one of its soft hyphens
    expect(text).toContain("Donaudampfschifffahrts-\n");
    const m = /Donau(dampf|-\n)/.exec(text);
    expect(m).not.toBeNull();
    expect(text).not.toMatch(/Donau-dampf|dampf-schiff(?!\n)|fahrts-gesell(?!\n)/);
  });

  test("justified: lines of a paragraph end at the right edge of the column; its last line does not", () => {
    const lines = [...bbox.matchAll(/<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"/g)].map((m) => ({ xMin: Number(m[1]), y: Number(m[2]), xMax: Number(m[3]) }));
    const bodyLines = lines.filter((l) => l.xMin >= X - 1 && l.xMin <= X + 20 && l.y > 70 && l.y < 770);
    const flush = bodyLines.filter((l) => Math.abs(l.xMax - (X + WIDTH)) < 1);
    expect(bodyLines.length).toBeGreaterThan(100);
    // all but the last line of each of the 22 paragraphs (and the address) end flush right
    expect(flush.length).toBeGreaterThan(bodyLines.length - 30);
    expect(flush.length).toBeLessThan(bodyLines.length);
  });
});

describe("wrapping at soft hyphens", () => {
  const w = (s: string) => s.length; // one unit per character
  test("a soft hyphen is a break point, drawn as '-' only at the line's end", () => {
    const lines = wrapLines(`ab Donau${SHY}dampf${SHY}schiff cd`, 14, w).map((l) => l.text);
    expect(lines).toEqual(["ab Donaudampf-", "schiff cd"]);
  });
  test("soft hyphens inside a line are not drawn", () => {
    expect(wrapLines(`Donau${SHY}dampf`, 40, w).map((l) => l.text)).toEqual(["Donaudampf"]);
  });
  test("a word longer than the box breaks at its soft hyphens before breaking between letters", () => {
    expect(wrapLines(`Donau${SHY}dampf${SHY}schiff`, 7, w).map((l) => l.text)).toEqual(["Donau-", "dampf-", "schiff"]);
  });
  test("each paragraph's last line is marked (justification leaves it)", () => {
    expect(wrapLines("aa bb cc\ndd", 5, w).map((l) => l.last)).toEqual([false, true, true]);
  });
});

describe("flowLines: widows and orphans", () => {
  test("a lone first line of a paragraph at a page's foot moves to the next page (orphan)", () => {
    // paragraph 0: 3 lines, paragraph 1: 4 lines; 4 lines per page
    const f = flowLines({ paras: [0, 0, 0, 1, 1, 1, 1], firstCapacity: 4, nextCapacity: 4, orphans: 2, widows: 2 });
    expect(f.at.map((a) => a.page)).toEqual([0, 0, 0, 1, 1, 1, 1]);
    expect(f.continuationPages).toBe(1);
  });
  test("a lone last line carried to the next page takes a companion (widow)", () => {
    const f = flowLines({ paras: [0, 0, 0, 0, 0], firstCapacity: 4, nextCapacity: 4, orphans: 2, widows: 2 });
    expect(f.at.map((a) => a.page)).toEqual([0, 0, 0, 1, 1]);
  });
  test("with orphans and widows 1 the pages fill up", () => {
    const f = flowLines({ paras: [0, 0, 0, 0, 0], firstCapacity: 4, nextCapacity: 4, orphans: 1, widows: 1 });
    expect(f.at.map((a) => a.page)).toEqual([0, 0, 0, 0, 1]);
  });
  test("a paragraph longer than a page still breaks, and indexes restart on each page", () => {
    const f = flowLines({ paras: Array(9).fill(0), firstCapacity: 3, nextCapacity: 4, orphans: 2, widows: 2 });
    expect(f.at.map((a) => a.page)).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2]);
    expect(f.at[3].index).toBe(0);
  });
});

describe("validation of flowing fields", () => {
  const base = { pageCount: 1, pageSizes: [[595, 842]] as [number, number][] };
  test("flow needs a width and a bottom, and its keys need flow", () => {
    const p = layoutProblems({ fields: [{ field: "a", page: 1, x: 10, y: 10, flow: true }, { field: "b", page: 1, x: 10, y: 10, bottom: 100 }] }, base);
    expect(p).toContain('fields[0].maxWidth: is required with "flow": true (the width of the text column)');
    expect(p).toContain("fields[0].bottom: is required (a number of points)");
    expect(p).toContain('fields[1].bottom: only applies to a flowing field; add "flow": true');
  });
  test("one table or flowing field per page", () => {
    const p = layoutProblems(
      { fields: [{ field: "a", page: 1, x: 10, y: 10, flow: true, maxWidth: 100, bottom: 500 }], tables: [{ rows: "r", page: 1, top: 10, bottom: 500, columns: [{ field: "x", x: 10, width: 50 }] }] },
      base,
    );
    expect(p).toContain("tables[0].page: fields[0] already flows from page 1; one table or flowing field per page");
  });
  test("hyphenation needs patterns for the locale", () => {
    const p = layoutProblems({ locale: "ja-JP", fields: [{ field: "a", page: 1, x: 10, y: 10, maxWidth: 100, hyphenate: true }] }, base);
    expect(p[0]).toStartWith('fields[0].hyphenate: no hyphenation patterns for the locale "ja-JP" (there are for: cs, da, de, en');
  });
});
