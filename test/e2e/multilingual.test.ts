// Documents as businesses make them, through the compiled binary as the README shows: a template with
// its own fonts and a logo, a multilingual invoice with a payment QR code and a barcode, checked with
// independent tools (pdffonts, pdftotext, pdfimages, zbarimg); and hostile base PDFs refused.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { Objm } from "@nats-io/obj";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, ROOT, type Background } from "../helpers/cli.ts";
import { run } from "../helpers/pdf.ts";
import { objectStreamBomb, pageTreeBomb } from "../helpers/bombs.ts";
import { encodeBundle } from "../../core/render/template.ts";
import { TEMPLATES_BUCKET } from "../../core/render/store.ts";

const EX = join(ROOT, "examples/multilingual");
const NOTO = "/usr/share/fonts/truetype/noto";
/** The fonts the example names, as the README's demo stores them. */
export const EXAMPLE_FONTS: [string, string][] = [
  ["latin", `${NOTO}/NotoSans-Regular.ttf`],
  ["latin-bold", `${NOTO}/NotoSans-Bold.ttf`],
  ["arabic", `${NOTO}/NotoSansArabic-Regular.ttf`],
  ["hebrew", `${NOTO}/NotoSansHebrew-Regular.ttf`],
  ["deva", `${NOTO}/NotoSansDevanagari-Regular.ttf`],
  ["thai", `${NOTO}/NotoSansThai-Regular.ttf`],
  ["cjk", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"],
];

let nats: NatsServerHandle;
let worker: Background;
const out = tempDir("docctl-multilingual-");
const env = () => ({ DOCCTL_NATS_URL: nats.url });

beforeAll(async () => {
  nats = await startNatsServer();
  worker = spawnDocctl(["worker", "--handlers", "pdf", "-v"], { env: env() });
  await worker.waitFor(/pulling/);
});
afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  out.cleanup();
});

/** Removes the bidi embedding marks poppler puts around right-to-left stretches; Intl's no-break spaces as spaces. */
const plain = (s: string) => s.replace(/[\u202a-\u202e\u2066-\u2069]/g, "").replace(/[\u00a0\u202f]/g, " ");

test("a multilingual invoice: template fonts embedded, Arabic and Hebrew read back in logical order, logo, QR code and barcode decodable", async () => {
  const put = await docctl(
    [
      "template", "put", "multilingual", join(EX, "base.pdf"), "--layout", join(EX, "layout.json"),
      ...EXAMPLE_FONTS.flatMap(([n, p]) => ["--font", `${n}=${p}`]),
      "--asset", `logo.png=${join(EX, "logo.png")}`,
    ],
    { env: env() },
  );
  expect(put.stderr).toBe("");
  expect(put.code).toBe(0);
  const r = await docctl(["submit", join(EX, "job.json"), "--out", out.path, "--json"], { env: env() });
  expect(r.code).toBe(0);
  const pdf = join(out.path, "multilingual-2026-0042.pdf");
  expect((await run(["qpdf", "--check", pdf])).code).toBe(0);

  // pdffonts: each template font embedded as a subset (name column "ABCDEF+<file name>", emb/sub/uni "yes")
  const fonts = (await run(["pdffonts", pdf])).stdout;
  for (const [, file] of EXAMPLE_FONTS) {
    const ps = file.split("/").pop()!.replace(/\.ttf$/, "");
    expect(fonts).toMatch(new RegExp(`^[A-Z]{6}\\+${ps}\\s+CID TrueType\\s+Identity-H\\s+yes\\s+yes\\s+yes`, "m"));
  }

  // pdftotext: right-to-left words in logical order, shaped scripts as written
  const text = plain((await run(["pdftotext", "-enc", "UTF-8", pdf, "-"])).stdout);
  for (const s of ["شركة النور للتجارة", "المملكة العربية السعودية", "تمر مجدول", "מחסן תל אביב", "שמן זית כתית מעולה", "दार्जिलिंग चाय", "ข้าวหอมมะลิ", "静岡県産 煎茶", "台灣高山烏龍茶"])
    expect(text).toContain(s);
  // Intl: numbers stayed numbers in the data; de-DE formats them
  for (const s of ["672,47 €", "23. November 2026", "VAT 19 %"]) expect(text).toContain(s);

  // pdfimages: the logo (96×96, with its alpha as a soft mask)
  const images = (await run(["pdfimages", "-list", pdf])).stdout.trim().split("\n").slice(2).map((l) => l.trim().split(/\s+/));
  expect(images.filter((c) => c[2] === "image").map((c) => `${c[3]}x${c[4]}`)).toEqual(["96x96"]);

  // zbarimg: the EPC payment code and the order number's barcode
  const png = join(out.path, "page");
  expect((await run(["pdftoppm", "-r", "150", "-png", "-singlefile", pdf, png])).code).toBe(0);
  const codes = (await run(["zbarimg", "--quiet", `${png}.png`])).stdout;
  expect(codes).toContain("CODE-128:INV-2026-0042");
  expect(codes).toContain("QR-Code:BCD\n002\n1\nSCT\nCOBADEFFXXX\nOrient und Occident Trading GmbH\nDE89370400440532013000\nEUR672.47\n\nINV-2026-0042");

  // template get gives the fonts and the asset back
  const got = await docctl(["template", "get", "multilingual", "--out", join(out.path, "got")], { env: env() });
  expect(got.code).toBe(0);
  expect(await Bun.file(join(out.path, "got/assets/logo.png")).bytes()).toEqual(await Bun.file(join(EX, "logo.png")).bytes());
  expect((await Bun.file(join(out.path, "got/fonts/NotoSansArabic-Regular.ttf")).bytes()).length).toBe(Bun.file(`${NOTO}/NotoSansArabic-Regular.ttf`).size);
});

test("text a template font cannot draw is a failed result naming the field and the characters", async () => {
  const job = JSON.parse(await Bun.file(join(EX, "job.json")).text());
  job.payload.data.customer.name = "Ελληνικά 🙂 ☃";
  job.payload.filename = "bad.pdf";
  const r = await docctl(["submit", "-", "--json"], { env: env(), stdin: JSON.stringify(job) });
  expect(r.code).toBe(1);
  const res = JSON.parse(r.stdout);
  expect(res.error.code).toBe("UNKNOWN_GLYPH");
  expect(res.error.message).toStartWith('fields[2] (field "customer.name"): characters "🙂" (U+1F642), "☃" (U+2603) are not in the fonts "latin-bold", "arabic"');
});

test("bad fonts and assets are refused by template put with what is wrong", async () => {
  const notAFont = await docctl(["template", "put", "x", join(EX, "base.pdf"), "--layout", join(EX, "layout.json"), "--font", `latin=${join(EX, "logo.png")}`], { env: env() });
  expect(notAFont.code).toBe(2);
  expect(notAFont.stderr).toContain(`--font latin=logo.png: logo.png is not a TrueType or OpenType font (.ttf or .otf)`);
  const missing = await docctl(["template", "put", "x", join(EX, "base.pdf"), "--layout", join(EX, "layout.json")], { env: env() });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain(`defaults.font: unknown font "latin"`);
  expect(missing.stderr).toContain(`fields[0].asset: the template has no asset "logo.png"`);
});

test("the page-tree bomb (1.5 KB, 10 million pages) is refused by template put, quickly", async () => {
  const bomb = join(out.path, "page-tree-bomb.pdf");
  await Bun.write(bomb, pageTreeBomb());
  const layout = join(out.path, "empty.json");
  await Bun.write(layout, "{}");
  const started = performance.now();
  const r = await docctl(["template", "put", "bomb", bomb, "--layout", layout], { env: env() });
  console.log(`page-tree bomb refused in ${Math.round(performance.now() - started)} ms (process start included)`);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("its page tree has more than 1000 pages, over the limit max-pages = 1000");
  // the limit is configurable: a bigger one is still refused, with its own value
  const r2 = await docctl(["template", "put", "bomb", bomb, "--layout", layout, "--max-pages", "5000"], { env: env() });
  expect(r2.stderr).toContain("more than 5000 pages, over the limit max-pages = 5000");
});

test("the 4 MB object-stream bomb is refused at template put, and again by the worker when it was stored by hand", async () => {
  const bomb = objectStreamBomb();
  const path = join(out.path, "objstm-bomb.pdf");
  await Bun.write(path, bomb);
  const layout = join(out.path, "empty.json");
  await Bun.write(layout, "{}");
  const r = await docctl(["template", "put", "zbomb", path, "--layout", layout], { env: env() });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("its compressed streams inflate to more than 100 MB, over the limit max-stream-size = 100 MB");

  // written into the bucket by hand (an older docctl, another tool): the worker checks before parsing
  const nc = await connect({ servers: nats.url });
  try {
    const os = await new Objm(nc).create(TEMPLATES_BUCKET);
    await os.putBlob({ name: "zbomb" }, encodeBundle({ name: "zbomb", kind: "layout", base: bomb, layout: {}, pages: 1 }));
  } finally {
    await nc.close();
  }
  const job = await docctl(["submit", "-", "--json"], { env: env(), stdin: JSON.stringify({ handler: "pdf", payload: { template: "zbomb", data: {} } }) });
  expect(job.code).toBe(1);
  const res = JSON.parse(job.stdout);
  expect(res.error.code).toBe("BAD_BASE_PDF");
  expect(res.error.message).toContain("over the limit max-stream-size = 100 MB");
  // and the worker is still there for the next job
  expect((await docctl(["submit", join(EX, "job.json"), "--json"], { env: env() })).code).toBe(0);
});
