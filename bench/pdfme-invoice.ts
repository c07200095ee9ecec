// The bench's invoice (examples/invoice) as a pdfme template, rendered in-process by @pdfme/generator:
// the comparison the "10x pdfme" target names. Same base PDF (examples/invoice/base.pdf), same
// fields at the same places, same fonts (docctl's DejaVu Sans and Sans Bold, subset like docctl's);
// the line items are a pdfme table that grows down the page and pushes the totals below it.
// Installed only by `npm install --prefix bench` (bench/package.json), never by the project's npm ci.
import { join } from "node:path";

const EX = join(import.meta.dir, "../examples/invoice");
const FONTS = join(import.meta.dir, "../core/render/fonts");
const mm = (pt: number) => pt * 0.3527777778;

/** A text box at docctl's layout coordinates (points, y of the baseline from the top), in pdfme's mm with y at the box top. */
function text(name: string, x: number, y: number, o: { size?: number; bold?: boolean; color?: string; width?: number; align?: "left" | "right"; lines?: number; content?: string } = {}) {
  const size = o.size ?? 9;
  const width = o.width ?? 150;
  const right = o.align === "right";
  return {
    name,
    type: "text",
    // docctl's right-aligned fields end at x (or at x + maxWidth): pdfme's box ends there too
    position: { x: mm(right && !o.width ? x - width : x), y: mm(y - size) },
    width: mm(width),
    height: mm(size * 1.25 * (o.lines ?? 1)),
    fontName: o.bold ? "sans-bold" : "sans",
    fontSize: size,
    fontColor: o.color ?? "#222222",
    alignment: o.align ?? "left",
    verticalAlignment: "top",
    lineHeight: 1.2,
    characterSpacing: 0,
    backgroundColor: "",
    ...(o.content !== undefined ? { readOnly: true, content: o.content } : {}),
  };
}

/** The pdfme template equivalent to examples/invoice/layout.json over examples/invoice/base.pdf. */
export async function pdfmeInvoiceTemplate(): Promise<{ template: any; font: any }> {
  const basePdf = await Bun.file(join(EX, "base.pdf")).bytes();
  const grey = "#737373";
  const tableTop = 240 - 9; // docctl's table "top" is the first row's baseline
  const cols = [22, 265, 35, 75, 90]; // widths from layout.json (x 45, 75, 340, 380, 460; gaps as cell padding)
  const tableWidth = 550 - 45;
  const totalsTop = tableTop + 13 * 14 + 19;
  const schema = [
    text("bill_to", 50, 110, { bold: true, color: grey, content: "Bill to" }),
    text("customer_name", 50, 124, { size: 11, bold: true, width: 260 }),
    text("customer_address", 50, 140, { width: 260, lines: 4 }),
    text("number_label", 360, 110, { bold: true, color: grey, content: "Invoice no." }),
    text("number", 550, 110, { align: "right", bold: true }),
    text("date_label", 360, 126, { bold: true, color: grey, content: "Date" }),
    text("date", 550, 126, { align: "right" }),
    text("due_label", 360, 142, { bold: true, color: grey, content: "Due" }),
    text("due", 550, 142, { align: "right" }),
    text("note", 50, 190, { width: 495, lines: 2, color: "#555555" }),
    text("page", 550, 800, { align: "right", size: 8, color: grey }),
    {
      name: "items",
      type: "table",
      position: { x: mm(45), y: mm(tableTop) },
      width: mm(tableWidth),
      height: mm(13 * 14),
      showHead: false,
      head: ["#", "Description", "Qty", "Unit price", "Amount"],
      headWidthPercentages: cols.map((w) => (w / cols.reduce((a, b) => a + b)) * 100),
      tableStyles: { borderColor: "#ffffff", borderWidth: 0 },
      headStyles: cell("sans-bold", "left"),
      bodyStyles: { ...cell("sans", "left"), alternateBackgroundColor: "" },
      columnStyles: { alignment: { 0: "right", 2: "right", 3: "right", 4: "right" } },
    },
    // pdfme re-lays out nothing over a custom base PDF (it says so for tables), so the totals sit at
    // a fixed place below the longest table the bench makes (12 items, one wrapping), where docctl
    // puts them right after the last row
    text("subtotal_label", 380, totalsTop, { content: "Subtotal" }),
    text("subtotal", 460, totalsTop, { width: 90, align: "right" }),
    text("vat_label", 380, totalsTop + 15),
    text("vat", 460, totalsTop + 15, { width: 90, align: "right" }),
    text("total_label", 380, totalsTop + 32, { size: 11, bold: true, content: "Total" }),
    text("total", 460, totalsTop + 32, { size: 11, bold: true, width: 90, align: "right" }),
  ];
  const font = {
    sans: { data: await Bun.file(join(FONTS, "DejaVuSans.ttf")).bytes(), fallback: true, subset: true },
    "sans-bold": { data: await Bun.file(join(FONTS, "DejaVuSans-Bold.ttf")).bytes(), subset: true },
  };
  return { template: { basePdf, schemas: [schema] }, font };
}

function cell(fontName: string, alignment: string) {
  return {
    fontName,
    alignment,
    verticalAlignment: "top",
    fontSize: 9,
    lineHeight: 1.2,
    characterSpacing: 0,
    fontColor: "#222222",
    backgroundColor: "",
    borderColor: "#ffffff",
    borderWidth: { top: 0, right: 0, bottom: 0, left: 0 },
    padding: { top: 1.4, right: 1.4, bottom: 0, left: 1.4 },
  };
}

/** One invoice's data (bench/render.ts invoiceData) as pdfme inputs: flat strings, the table as JSON rows. */
export function pdfmeInputs(d: Record<string, any>): Record<string, string> {
  return {
    customer_name: d.customer.name,
    customer_address: d.customer.address,
    number: d.number,
    date: d.date,
    due: d.due,
    note: d.note ?? "",
    page: "Page 1 of 1",
    items: JSON.stringify(d.items.map((it: any, i: number) => [String(i + 1), it.description, String(it.qty), it.unit_price, it.amount])),
    subtotal: d.subtotal,
    vat_label: `VAT ${d.vat_rate}`,
    vat: d.vat,
    total: d.total,
  };
}

/** pdfme's renderer for the bench's invoices: one generate() per invoice, one PDF each (as docctl makes them). */
export async function pdfmeRenderer(): Promise<(data: Record<string, unknown>) => Promise<Uint8Array>> {
  let mods: [any, any];
  try {
    // names in variables: tsc (and a fresh clone without bench/node_modules) must not need pdfme
    const names = ["@pdfme/generator", "@pdfme/schemas"];
    mods = await Promise.all(names.map((n) => import(n))) as [any, any];
  } catch (e) {
    throw new Error(`pdfme is not installed for the benchmark: run \`npm install --prefix bench\` (${(e as Error).message})`);
  }
  const [{ generate }, schemas] = mods;
  const { template, font } = await pdfmeInvoiceTemplate();
  const plugins = { text: schemas.text, table: schemas.table };
  // pdfme's table warns on every document that a custom base PDF means no re-layout (see above)
  const warn = console.warn;
  console.warn = (...a: unknown[]) => (String(a[0]).startsWith("[@pdfme/schema/table]") ? undefined : warn(...a));
  return async (data) => await generate({ template, inputs: [pdfmeInputs(data)], plugins, options: { font } });
}
