// QR codes and barcodes: values encoded into bars or modules, then into PDF path operators. Barcodes
// and Data Matrix by bwip-js (BWIPP, the reference PostScript encoders); QR codes by uqr (Nayuki's
// generator), ten times faster than BWIPP's QR (1 ms instead of 9 per code, and every invoice's payment
// code differs). Pure: no PDF objects, no I/O.
import type { encode as QrEncode } from "uqr";

type BwipRaw = (bcid: string, text: string, opts: Record<string, string | boolean>) => unknown[];
let bwipRaw: BwipRaw | null = null;
let qrEncode: typeof QrEncode | null = null;

/**
 * Loads the encoders (once per process). Not at import: bwip-js unpacks its fonts when loaded (about
 * 30 ms), which every CLI command would pay for nothing.
 */
export async function loadEncoders(): Promise<void> {
  // the default export's raw() is the encoder (the named `raw` export is BWIPP's "raw" symbology)
  bwipRaw ??= ((await import("bwip-js/generic")).default as unknown as { raw: BwipRaw }).raw;
  qrEncode ??= (await import("uqr")).encode;
}
import { renderError } from "./errors.ts";

/** Bars of a linear code (`sbs`: bar, space, bar ... widths; heights and bottoms per bar) or modules of a 2D code. */
export type Encoded =
  | { kind: "linear"; sbs: number[]; bhs: number[]; bbs: number[]; text?: string }
  /** `rowHeight`: a row's height in modules (PDF417's rows are 3 modules tall; 1 for square codes) */
  | { kind: "matrix"; pixs: number[]; cols: number; rows: number; rowHeight: number }
  /** MaxiCode: the dark hexagons' indices in its 30 x 33 grid (row by row), around the bullseye */
  | { kind: "maxi"; dark: number[] };

/** Layout names to BWIPP encoder names. */
const BCID: Record<string, string> = {
  qrcode: "qrcode",
  code128: "code128",
  ean13: "ean13",
  ean8: "ean8",
  upca: "upca",
  "upc-a": "upca",
  code39: "code39",
  datamatrix: "datamatrix",
  itf14: "itf14",
  pdf417: "pdf417",
  "gs1-128": "gs1-128",
  sscc18: "sscc18",
  gs1datamatrix: "gs1datamatrix",
  upce: "upce",
  "upc-e": "upce",
  aztec: "azteccode",
  codabar: "rationalizedCodabar",
  maxicode: "maxicode",
};

/** 2D codes whose non-ASCII text is marked UTF-8 with ECI 26. */
const MATRIX = new Set(["datamatrix", "pdf417", "azteccode", "maxicode"]);

/** Encodes `value`; a value the symbology cannot carry is BAD_FIELD_VALUE naming `where`. */
export function encode(type: string, value: string, opts: { ecLevel?: string }, where: string): Encoded {
  const bcid = BCID[type];
  if (!bcid) throw renderError("BAD_LAYOUT", `${where}: unknown barcode type ${JSON.stringify(type)}`);
  if (!bwipRaw || !qrEncode) throw new Error("encode() before loadEncoders()");
  if (bcid === "qrcode") {
    // text is encoded as UTF-8 bytes, as EPC payment codes (character set 1) require
    let qr: ReturnType<typeof QrEncode>;
    try {
      qr = qrEncode(value, { ecc: (opts.ecLevel ?? "M") as "M", border: 0 });
    } catch (err) {
      throw renderError("BAD_FIELD_VALUE", `${where}: the text cannot be encoded as a QR code: ${(err as Error).message} (${new TextEncoder().encode(value).length} bytes)`, { cause: err });
    }
    return { kind: "matrix", pixs: qr.data.flatMap((row) => row.map((dark) => (dark ? 1 : 0))), cols: qr.size, rows: qr.size, rowHeight: 1 };
  }
  let raw: unknown[];
  try {
    // BWIPP options are strings of key=value words
    // BWIPP writes text as UTF-8 bytes. A 2D code with non-ASCII text says so with ECI 26 (UTF-8), or
    // readers may guess another charset; "^" is then BWIPP's escape, so escape it.
    const utf8 = MATRIX.has(bcid) && /[^\x00-\x7f]/.test(value);
    const text = utf8 ? `^ECI000026${value.replace(/\^/g, "^094")}` : value;
    const options: Record<string, string | boolean> = {};
    if (utf8) options.parsefnc = options.parse = true;
    raw = bwipRaw(bcid, text, options) as unknown[];
  } catch (err) {
    // BWIPP's messages start with its error name ("bwipp.ean13badCheckDigit#6915: Incorrect EAN-13 check digit provided")
    const why = String((err as Error).message ?? err).replace(/^bwip(p|-js)\.[A-Za-z0-9]+(#\d+)?:\s*/, "");
    throw renderError("BAD_FIELD_VALUE", `${where}: ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)} cannot be encoded as ${type}: ${why}`, { cause: err });
  }
  const r = raw[0] as { sbs?: number[]; bhs?: number[]; bbs?: number[]; txt?: unknown; pixs?: number[]; pixx?: number; pixy?: number };
  if (bcid === "maxicode" && r.pixs) return { kind: "maxi", dark: r.pixs };
  if (r.pixs && r.pixx && r.pixy) {
    // pixs holds one row of modules per symbol row; pixy counts module heights (PDF417: 3 per row)
    const rows = r.pixs.length / r.pixx;
    return { kind: "matrix", pixs: r.pixs, cols: r.pixx, rows, rowHeight: r.pixy / rows };
  }
  return { kind: "linear", sbs: r.sbs ?? [], bhs: r.bhs ?? [], bbs: r.bbs ?? [] };
}

/**
 * PDF path operators filling the code's dark parts into the box (x, y: its top-left in PDF space, y
 * growing upwards; w, h in points). 2D codes keep square modules, centred in the box.
 */
export function codePath(e: Encoded, x: number, top: number, w: number, h: number, num: (n: number) => string): string {
  let out = "";
  if (e.kind === "maxi") return maxiPath(e.dark, x, top, w, h, num);
  if (e.kind === "matrix") {
    // modules keep their shape (square; PDF417's rows 3 modules tall), centred in the box
    const m = Math.min(w / e.cols, h / (e.rows * e.rowHeight));
    const rh = m * e.rowHeight;
    const x0 = x + (w - m * e.cols) / 2;
    const y0 = top - (h - rh * e.rows) / 2;
    for (let r = 0; r < e.rows; r++) {
      // one rectangle per horizontal run of dark modules
      for (let c = 0; c < e.cols; ) {
        if (!e.pixs[r * e.cols + c]) {
          c++;
          continue;
        }
        let end = c;
        while (end < e.cols && e.pixs[r * e.cols + end]) end++;
        // row 0 is the top row
        out += `${num(x0 + c * m)} ${num(y0 - (r + 1) * rh)} ${num((end - c) * m)} ${num(rh)} re\n`;
        c = end;
      }
    }
    return out + "f\n";
  }
  const total = e.sbs.reduce((a, b) => a + b, 0);
  const unit = w / total;
  const tallest = Math.max(...e.bhs.map((bh, i) => bh + (e.bbs[i] ?? 0)), 1e-9);
  let pos = x;
  for (let i = 0; i < e.sbs.length; i++) {
    const width = e.sbs[i] * unit;
    if (i % 2 === 0 && width > 0) {
      const k = i / 2;
      const bh = ((e.bhs[k] ?? tallest) / tallest) * h;
      const bottom = ((e.bbs[k] ?? 0) / tallest) * h;
      out += `${num(pos)} ${num(top - h + bottom)} ${num(width)} ${num(bh)} re\n`;
    }
    pos += width;
  }
  return out + "f\n";
}

// MaxiCode geometry (ISO/IEC 16023), in units of the hexagon pitch W, as bwip-js draws it: 30 columns,
// 33 rows 0.8646 W apart, odd rows shifted W/2 right; hexagons 0.853 W wide and 1.009 W tall; the
// bullseye's three rings centred at (14.5 W, 14.08 W).
const MAXI = { width: 30.5, height: 28.7, pitchY: 300 / 347, firstY: 200 / 347, halfW: 148 / 347, halfH: 175 / 347, side: 100 / 347, cx: 14.5, cy: 4887 / 347 };
const RINGS = [0.5774, 1.3359, 2.1058, 2.8644, 3.6229, 4.3814].map((r) => (r * 350) / 347);

/** MaxiCode: dark hexagons and the bullseye, scaled into the box (kept in proportion, centred). */
function maxiPath(dark: number[], x: number, top: number, w: number, h: number, num: (n: number) => string): string {
  const W = Math.min(w / MAXI.width, h / MAXI.height);
  const left = x + (w - W * MAXI.width) / 2;
  const y0 = top - (h - W * MAXI.height) / 2;
  let out = "";
  for (const i of dark) {
    const col = i % 30;
    const row = Math.floor(i / 30);
    const cx = left + W * (col + (row & 1 ? 1 : 0.5));
    const cy = y0 - W * (MAXI.firstY + row * MAXI.pitchY);
    const a = W * MAXI.halfW;
    const t = W * MAXI.halfH;
    const s2 = W * MAXI.side;
    out += `${num(cx)} ${num(cy + t)} m ${num(cx + a)} ${num(cy + s2)} l ${num(cx + a)} ${num(cy - s2)} l ${num(cx)} ${num(cy - t)} l ${num(cx - a)} ${num(cy - s2)} l ${num(cx - a)} ${num(cy + s2)} l h\n`;
  }
  out += "f\n";
  // the rings: each pair of circles filled even-odd is one ring
  const bx = left + W * MAXI.cx;
  const by = y0 - W * MAXI.cy;
  for (const r of RINGS) out += circle(bx, by, r * W, num);
  return `${out}f*\n`;
}

/** A circle as four Bézier curves. */
function circle(cx: number, cy: number, r: number, num: (n: number) => string): string {
  const k = 0.5523 * r;
  return (
    `${num(cx + r)} ${num(cy)} m ` +
    `${num(cx + r)} ${num(cy + k)} ${num(cx + k)} ${num(cy + r)} ${num(cx)} ${num(cy + r)} c ` +
    `${num(cx - k)} ${num(cy + r)} ${num(cx - r)} ${num(cy + k)} ${num(cx - r)} ${num(cy)} c ` +
    `${num(cx - r)} ${num(cy - k)} ${num(cx - k)} ${num(cy - r)} ${num(cx)} ${num(cy - r)} c ` +
    `${num(cx + k)} ${num(cy - r)} ${num(cx + r)} ${num(cy - k)} ${num(cx + r)} ${num(cy)} c h\n`
  );
}

/** EAN/UPC kinds whose human-readable text follows the GS1 layout (digits between and outside the guards). */
export const EAN_TYPES = new Set(["ean13", "ean8", "upca", "upc-a", "upce", "upc-e"]);

/** Where an EAN/UPC symbol's guard bars and digits go, in modules from its first bar. */
export interface EanText {
  /** per bar (in sbs order, bars only): a guard bar, drawn down into the text line */
  guards: boolean[];
  /** each digit and the centre of its place */
  digits: { ch: string; center: number }[];
  /** modules of the bars */
  modules: number;
  /** modules left of the first bar and right of the last that digits need */
  left: number;
  right: number;
}

/** The GS1 human-readable layout of an EAN/UPC value (check digit included), from BWIPP's own text placement. */
export function eanText(type: string, value: string, where: string): EanText {
  if (!bwipRaw) throw new Error("eanText() before loadEncoders()");
  let r: { sbs: number[]; bbs: number[]; txt: [string, number][] };
  try {
    r = (bwipRaw(BCID[type], value, { includetext: true }) as typeof r[])[0];
  } catch (err) {
    const why = String((err as Error).message ?? err).replace(/^bwip(p|-js)\.[A-Za-z0-9]+(#\d+)?:\s*/, "");
    throw renderError("BAD_FIELD_VALUE", `${where}: ${JSON.stringify(value)} cannot be encoded as ${type}: ${why}`, { cause: err });
  }
  const guards: boolean[] = [];
  let modules = 0;
  r.sbs.forEach((w, i) => {
    if (i % 2 === 0) guards.push((r.bbs[i / 2] ?? 0) < 0);
    modules += w;
  });
  // BWIPP gives each digit's x 0.75 modules right of its place's centre (7 modules per digit)
  const digits = r.txt.map(([ch, x]) => ({ ch, center: x - 0.75 }));
  const left = Math.max(0, ...digits.map((d) => -(d.center - 3.5)));
  const right = Math.max(0, ...digits.map((d) => d.center + 3.5 - modules));
  return { guards, digits, modules, left, right };
}

/** EAN/UPC bars: normal bars end `textTop` above the box's foot, guard bars `guardTop`; the bars start `left` modules in. */
export function eanPath(e: Encoded, t: EanText, x: number, top: number, w: number, h: number, textTop: number, guardTop: number, num: (n: number) => string): string {
  if (e.kind !== "linear") return "";
  const unit = w / (t.left + t.modules + t.right);
  let pos = x + t.left * unit;
  let out = "";
  for (let i = 0; i < e.sbs.length; i++) {
    const width = e.sbs[i] * unit;
    if (i % 2 === 0 && width > 0) {
      const foot = t.guards[i / 2] ? guardTop : textTop;
      out += `${num(pos)} ${num(top - h + foot)} ${num(width)} ${num(h - foot)} re\n`;
    }
    pos += width;
  }
  return out + "f\n";
}
