// Generates examples/facturx/base.pdf: the letterhead of the Factur-X example. Unlike examples/invoice,
// its fonts are embedded (DejaVu Sans subsets), as PDF/A requires of every font a page uses.
// Run once: `bun examples/facturx/make-base.ts` (the PDF is committed).
import fontkit from "@pdf-lib/fontkit";
import { PDFDocument, rgb } from "pdf-lib";

const fonts = new URL("../../core/render/fonts/", import.meta.url).pathname;
const doc = await PDFDocument.create();
doc.registerFontkit(fontkit);
doc.setTitle("Rechnung (base)");
doc.setProducer("docctl examples/facturx/make-base.ts");
const sans = await doc.embedFont(await Bun.file(`${fonts}DejaVuSans.ttf`).bytes(), { subset: true });
const bold = await doc.embedFont(await Bun.file(`${fonts}DejaVuSans-Bold.ttf`).bytes(), { subset: true });
const [W, H] = [595.28, 841.89]; // A4
const page = doc.addPage([W, H]);
const grey = rgb(0.45, 0.45, 0.45);
const accent = rgb(0.1, 0.4, 0.3);
const top = (y: number) => H - y;

page.drawRectangle({ x: 0, y: top(90), width: W, height: 90, color: accent });
page.drawText("ACME Werkzeuge GmbH", { x: 50, y: top(50), size: 22, font: bold, color: rgb(1, 1, 1) });
page.drawText("Hauptstraße 12, 10115 Berlin  ·  USt-IdNr. DE123456789", { x: 50, y: top(72), size: 9, font: sans, color: rgb(1, 1, 1) });
page.drawText("RECHNUNG", { x: 410, y: top(55), size: 24, font: bold, color: rgb(1, 1, 1) });
page.drawRectangle({ x: 45, y: top(232), width: W - 90, height: 20, color: rgb(0.92, 0.96, 0.94) });
for (const [label, x] of [["Pos.", 45], ["Bezeichnung", 75], ["Menge", 340], ["Einzelpreis", 395], ["Betrag", 500]] as const)
  page.drawText(label, { x, y: top(226), size: 9, font: bold, color: accent });
page.drawLine({ start: { x: 45, y: top(760) }, end: { x: W - 45, y: top(760) }, thickness: 0.5, color: grey });
page.drawText("Zahlbar per Überweisung an IBAN DE02 1203 0000 0000 2020 51. Diese Rechnung enthält ihre Daten als Factur-X (EN 16931).", {
  x: 50, y: top(778), size: 7.5, font: sans, color: grey,
});

const bytes = await doc.save();
await Bun.write(new URL("./base.pdf", import.meta.url).pathname, bytes);
console.log(`wrote examples/facturx/base.pdf (${bytes.length} bytes)`);
