// Generates examples/invoice/base.pdf, the "generic template" the invoice layout stamps over.
// Run once: `bun examples/invoice/make-base.ts` (the PDF is committed).
import { PDFDocument, StandardFonts, rgb } from "pdf-lib";

const doc = await PDFDocument.create();
doc.setTitle("Invoice (base)");
doc.setProducer("docctl examples/invoice/make-base.ts");
const helv = await doc.embedFont(StandardFonts.Helvetica);
const bold = await doc.embedFont(StandardFonts.HelveticaBold);
const [W, H] = [595.28, 841.89]; // A4
const page = doc.addPage([W, H]);
const grey = rgb(0.45, 0.45, 0.45);
const accent = rgb(0.13, 0.33, 0.6);
// y values below are measured from the top, like the layout's, then flipped.
const top = (y: number) => H - y;

page.drawRectangle({ x: 0, y: top(90), width: W, height: 90, color: accent });
page.drawText("ACME Tools Ltd", { x: 50, y: top(50), size: 22, font: bold, color: rgb(1, 1, 1) });
page.drawText("12 Harbour Street, Dublin 2, Ireland  -  VAT IE1234567X", { x: 50, y: top(72), size: 9, font: helv, color: rgb(1, 1, 1) });
page.drawText("INVOICE", { x: 430, y: top(55), size: 24, font: bold, color: rgb(1, 1, 1) });

// the labels ("Bill to", "Invoice no." ...) are layout text fields, so continuation pages can leave them out

// table header
page.drawRectangle({ x: 45, y: top(232), width: W - 90, height: 20, color: rgb(0.92, 0.94, 0.97) });
for (const [label, x] of [["#", 52], ["Description", 75], ["Qty", 352], ["Unit price", 405], ["Amount", 495]] as const)
  page.drawText(label, { x, y: top(226), size: 9, font: bold, color: accent });
page.drawLine({ start: { x: 45, y: top(760) }, end: { x: W - 45, y: top(760) }, thickness: 0.5, color: grey });
page.drawText("Thank you for your business. Payment by bank transfer to IBAN IE29 AIBK 9311 5212 3456 78.", {
  x: 50, y: top(778), size: 8, font: helv, color: grey,
});

const bytes = await doc.save();
await Bun.write(new URL("./base.pdf", import.meta.url).pathname, bytes);
console.log(`wrote examples/invoice/base.pdf (${bytes.length} bytes)`);
