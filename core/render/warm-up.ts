// A proc's first documents render 2-3x slower than later ones: JavaScriptCore (and the WebAssembly
// tiers of HarfBuzz) compile the layout engine's hot paths on their first few dozen runs. warmUp()
// renders a built-in invoice-like page (text fields, a wrapped table, several scripts, both built-in
// sans faces) before a proc takes jobs, so that compiling happens during start-up instead of in the
// first batch. It prints nothing anyone sees and leaves no state behind (the subset cache is emptied).
// The pdf handler runs it in setup() when a layout template is stored (wantsWarmUp).
import { PDFDocument } from "pdf-lib";
import { Renderer } from "./renderer.ts";
import type { Template } from "./template.ts";
import { clearSubsetCache } from "./pdf-font.ts";

/** How many warm-up renders: measured on the invoice example, more buys little (docs/benchmarks.md). */
export const WARM_UP_RENDERS = 32;

const LAYOUT = {
  version: 1,
  defaults: { font: "sans", size: 9, color: "#222222" },
  fields: [
    { text: "Bill to", page: 1, x: 50, y: 110, font: "sans-bold", color: "#737373" },
    { field: "name", page: 1, x: 50, y: 124, size: 11, font: "sans-bold", maxWidth: 260, overflow: "shrink" },
    { field: "address", page: 1, x: 50, y: 140, maxWidth: 260, maxLines: 4 },
    { field: "number", page: 1, x: 550, y: 110, align: "right", font: "sans-bold" },
    { field: "note", page: 1, x: 50, y: 190, maxWidth: 495, maxLines: 2, optional: true },
    { text: "Page {{$page}} of {{$pages}}", page: 1, x: 550, y: 800, align: "right", size: 8, repeat: true },
  ],
  tables: [
    {
      rows: "items",
      page: 1,
      top: 240,
      bottom: 700,
      rowGap: 4,
      columns: [
        { field: "$row", x: 45, width: 22, align: "right" },
        { field: "description", x: 75, width: 265 },
        { field: "qty", x: 340, width: 35, align: "right" },
        { field: "amount", x: 460, width: 90, align: "right" },
      ],
      after: [
        { text: "Total", x: 380, dy: 12, font: "sans-bold", size: 11 },
        { field: "total", x: 460, dy: 12, maxWidth: 90, align: "right", font: "sans-bold", size: 11, overflow: "shrink" },
      ],
    },
  ],
};

const WORDS = ["Crème brûlée", "Łódź", "café au lait", "Ελαιόλαδο", "Самовар", "Smørrebrød", "Größe", "Açaí", "Ísafjörður", "Čaj", "Şiş", "Niño"];

function data(i: number): Record<string, unknown> {
  const items = Array.from({ length: 8 + (i % 5) }, (_, k) => ({
    description: `${WORDS[(i + k) % WORDS.length]} ${WORDS[(i + 3 * k) % WORDS.length]}${k === 2 ? ", with a description long enough to wrap onto a second line of the table" : ""}`,
    qty: (k % 4) + 1,
    amount: `€${(i * 7 + k * 13) % 200}.${(k * 17) % 100}`.padEnd(5, "0"),
  }));
  return { name: `${WORDS[i % WORDS.length]} ${i} — Ωμέγα Ltd`, address: `Ørstedsvej ${i}\n8000 Aarhus C\nDanmark`, number: `W-${i}`, note: "Заказ № 7: Ελληνική αποθήκη", items, total: `€${i}.00` };
}

/**
 * Whether a proc should warm the layout engine up: only when a layout template is stored (the worker
 * prefetches the stored templates at start), so a worker that renders nothing, or only HTML, does not
 * pay ~0.3-0.5 s of CPU per proc start (proc restarts, tests) for nothing.
 */
export function wantsWarmUp(held: { kind: string }[]): boolean {
  return held.some((t) => t.kind === "layout");
}

/** Renders the built-in warm-up page `n` times with `renderer` (fresh data each time); returns ms of wall time. */
export async function warmUp(renderer: Renderer, n = WARM_UP_RENDERS): Promise<number> {
  const t0 = performance.now();
  const blank = await PDFDocument.create();
  blank.addPage([595.28, 841.89]);
  const template: Template = { name: "docctl-warm-up", kind: "layout", base: await blank.save(), layout: LAYOUT as Template["layout"], pages: 1 };
  for (let i = 0; i < n; i++) await renderer.render(template, data(i));
  clearSubsetCache();
  return performance.now() - t0;
}
