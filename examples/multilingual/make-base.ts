// Generates examples/multilingual/base.pdf (the letterhead the layout stamps over) and logo.png (the
// asset stored with the template). Run once: `bun examples/multilingual/make-base.ts` (both are committed).
import { PDFDocument, StandardFonts, rgb } from "pdf-lib";
import { logoPng } from "../../test/helpers/png.ts";

const doc = await PDFDocument.create();
doc.setTitle("Multilingual invoice (base)");
doc.setProducer("docctl examples/multilingual/make-base.ts");
const helv = await doc.embedFont(StandardFonts.Helvetica);
const bold = await doc.embedFont(StandardFonts.HelveticaBold);
const [W, H] = [595.28, 841.89]; // A4
const page = doc.addPage([W, H]);
const grey = rgb(0.45, 0.45, 0.45);
const accent = rgb(0.0, 0.42, 0.42);
const top = (y: number) => H - y;

page.drawRectangle({ x: 0, y: top(90), width: W, height: 90, color: accent });
// the logo is an image field (asset logo.png) at x 40, y 15
page.drawText("Orient & Occident Trading", { x: 115, y: top(48), size: 20, font: bold, color: rgb(1, 1, 1) });
page.drawText("Am Sandtorkai 1, 20457 Hamburg, Germany  -  VAT DE123456789", { x: 115, y: top(70), size: 9, font: helv, color: rgb(1, 1, 1) });
page.drawText("INVOICE", { x: 450, y: top(48), size: 20, font: bold, color: rgb(1, 1, 1) });

page.drawRectangle({ x: 45, y: top(252), width: W - 90, height: 20, color: rgb(0.9, 0.96, 0.96) });
for (const [label, x] of [["#", 52], ["Description", 75], ["Qty", 352], ["Unit price", 405], ["Amount", 495]] as const)
  page.drawText(label, { x, y: top(246), size: 9, font: bold, color: accent });
page.drawLine({ start: { x: 45, y: top(800) }, end: { x: W - 45, y: top(800) }, thickness: 0.5, color: grey });
page.drawText("Scan the QR code with your banking app to pay (EPC / SEPA credit transfer).", { x: 50, y: top(815), size: 8, font: helv, color: grey });

const bytes = await doc.save();
await Bun.write(new URL("./base.pdf", import.meta.url).pathname, bytes);
await Bun.write(new URL("./logo.png", import.meta.url).pathname, logoPng(96));
console.log(`wrote examples/multilingual/base.pdf (${bytes.length} bytes) and logo.png`);
