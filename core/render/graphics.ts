// Drawing what is not text: images (PNG/JPEG from the template's assets or the data), QR codes and
// barcodes (codes.ts), lines and rectangles. Decoded images are kept per content, so a logo is decoded
// once per proc, not once per document.
import { JpegEmbedder, PngEmbedder, type PDFContext, type PDFRef } from "pdf-lib";
import { codePath, eanPath, encode, loadEncoders, type Encoded } from "./codes.ts";
import { renderError } from "./errors.ts";
import { isSvg, parseSvg, type SvgDrawing } from "./svg.ts";
import { renderMemory } from "./memory-budget.ts";
import type { CodeOp, GraphicOp, ImageOp, ShapeOp } from "./plan.ts";
import { num, type GraphicsWriter } from "./stamp.ts";

/** Largest image accepted from the data (decoded bytes). */
export const MAX_DATA_IMAGE_BYTES = 10 * 1024 * 1024;
/** Most pixels a PNG may have: decoding allocates 4 bytes per pixel, and a few kB of PNG can claim gigapixels. */
export const MAX_IMAGE_PIXELS = 40_000_000;

type Embedder = PngEmbedder | JpegEmbedder;
// Decoded images by content, charged to the proc's render memory budget (memory-budget.ts) by their
// decoded size: a PNG keeps 4 bytes a pixel (RGB plus alpha), a JPEG its own bytes.
const images = new Map<string, Promise<Embedder>>();
const codes = new Map<string, Encoded>();
const CODE_ENTRIES = 512;

const svgs = new Map<string, SvgDrawing>();
const SVG_ENTRIES = 256;

/** An SVG in its box per `fit`: its user space (y down) mapped onto the page. */
function svgOp(key: string, bytes: Uint8Array, op: ImageOp, X: (x: number) => number, Y: (y: number) => number): string {
  let d = svgs.get(key);
  if (!d) {
    d = parseSvg(new TextDecoder().decode(bytes), op.where, op.asset !== undefined ? "BAD_TEMPLATE" : "BAD_FIELD_VALUE");
    svgs.set(key, d);
    if (svgs.size > SVG_ENTRIES) svgs.delete(svgs.keys().next().value!);
  }
  const f = fitImage(d.width, d.height, { x: X(op.x), y: Y(op.y + op.height), w: op.width, h: op.height }, op.fit);
  const clip = f.clip ? `${num(X(op.x))} ${num(Y(op.y + op.height))} ${num(op.width)} ${num(op.height)} re W n\n` : "";
  return `q\n${clip}${num(f.w / d.width)} 0 0 ${num(-f.h / d.height)} ${num(f.x)} ${num(f.y + f.h)} cm\n${d.content}Q\n`;
}

/** Empties the image and code caches (tests). */
export function clearGraphicsCaches(): void {
  for (const key of images.keys()) renderMemory.remove(`image:${key}`);
  images.clear();
  codes.clear();
  svgs.clear();
}

/** Image bytes from a data URL (`data:image/png;base64,...`) or bare base64; BAD_FIELD_VALUE naming `where` otherwise. */
export function imageBytes(value: string, where: string): Uint8Array {
  const m = /^data:([^;,]*)(;base64)?,/.exec(value);
  if (m && !m[2]) throw renderError("BAD_FIELD_VALUE", `${where}: a data URL image must be base64 (data:image/png;base64,...)`);
  const b64 = m ? value.slice(m[0].length) : value;
  if (b64.length > (MAX_DATA_IMAGE_BYTES * 4) / 3 + 4)
    throw renderError("BAD_FIELD_VALUE", `${where}: the image is larger than ${MAX_DATA_IMAGE_BYTES / 1024 / 1024} MB; store it with the template (--asset) or make it smaller`);
  if (!/^[A-Za-z0-9+/=\s_-]*$/.test(b64)) throw renderError("BAD_FIELD_VALUE", `${where}: the value is neither a data URL nor base64 (give a PNG, JPEG or SVG as data:image/png;base64,...)`);
  return new Uint8Array(Buffer.from(b64, "base64"));
}

/** "png" | "jpeg" by magic number, or null. */
export function imageType(bytes: Uint8Array): "png" | "jpeg" | null {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "jpeg";
  return null;
}

async function embedder(key: string, bytes: Uint8Array, where: string): Promise<Embedder> {
  let e = images.get(key);
  if (e) {
    renderMemory.touch(`image:${key}`);
    return await e;
  }
  const type = imageType(bytes);
  if (!type) throw renderError("BAD_FIELD_VALUE", `${where}: not a PNG, JPEG or SVG image`);
  const size = imageSize(bytes);
  if (size && size.width * size.height > MAX_IMAGE_PIXELS) {
    throw renderError("BAD_FIELD_VALUE", `${where}: the ${type.toUpperCase()} claims ${size.width}×${size.height} pixels, more than ${MAX_IMAGE_PIXELS / 1e6} million; make it smaller`);
  }
  e = (type === "png" ? PngEmbedder.for(bytes) : JpegEmbedder.for(bytes)).catch((err) => {
    images.delete(key);
    renderMemory.remove(`image:${key}`);
    throw renderError("BAD_FIELD_VALUE", `${where}: the ${type.toUpperCase()} image cannot be read: ${(err as Error).message}`, { cause: err });
  });
  // Kept only while the budget allows; an image over the whole budget is decoded for this use alone.
  const decoded = type === "png" && size ? size.width * size.height * 4 : bytes.length;
  images.set(key, e);
  if (!renderMemory.add(`image:${key}`, decoded, () => images.delete(key))) images.delete(key);
  return await e;
}

/** Width and height a PNG (IHDR) or JPEG (SOFn) header claims, or null when it says none. Pure. */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = imageType(bytes);
  if (type === "png") return bytes.length >= 24 ? { width: v.getUint32(16), height: v.getUint32(20) } : null;
  if (type !== "jpeg") return null;
  // walk the segments to the first start-of-frame marker (C0-CF except C4, C8, CC)
  for (let i = 2; i + 9 < bytes.length; ) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    const len = v.getUint16(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: v.getUint16(i + 5), width: v.getUint16(i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

/** Where an image of iw × ih lands in a box, per `fit`; `clip` when it overflows the box (cover). */
export function fitImage(iw: number, ih: number, box: { x: number; y: number; w: number; h: number }, fit: ImageOp["fit"]): { x: number; y: number; w: number; h: number; clip: boolean } {
  if (fit === "fill") return { ...box, clip: false };
  const s = fit === "cover" ? Math.max(box.w / iw, box.h / ih) : Math.min(box.w / iw, box.h / ih);
  const w = iw * s;
  const h = ih * s;
  return { x: box.x + (box.w - w) / 2, y: box.y + (box.h - h) / 2, w, h, clip: fit === "cover" };
}

/** A GraphicsWriter over a template's assets (`assetKey` makes cache keys unique per template version). */
export function graphicsWriter(assets: Map<string, Uint8Array>, assetKey: string, context: () => PDFContext): GraphicsWriter {
  // one XObject per image per document
  const refs = new Map<string, Promise<PDFRef>>();
  return {
    async draw(op: GraphicOp, page, box) {
      const X = (x: number) => box.x + x;
      const Y = (y: number) => box.y + box.height - y;
      switch (op.kind) {
        case "image": {
          let key: string;
          let bytes: Uint8Array;
          if (op.asset !== undefined) {
            key = `asset:${assetKey}:${op.asset}`;
            bytes = assets.get(op.asset)!;
            if (!bytes) throw renderError("BAD_LAYOUT", `${op.where}: the template has no asset ${JSON.stringify(op.asset)}`);
          } else {
            bytes = imageBytes(op.data!, op.where);
            key = `data:${Bun.hash(bytes).toString(36)}:${bytes.length}`;
          }
          // SVG: drawn as vector paths (svg.ts), never rasterised
          if (isSvg(bytes)) return svgOp(key, bytes, op, X, Y);
          const e = await embedder(key, bytes, op.where);
          let ref = refs.get(key);
          if (!ref) refs.set(key, (ref = e.embedIntoContext(context())));
          const name = page.xobject(await ref);
          const f = fitImage(e.width, e.height, { x: X(op.x), y: Y(op.y + op.height), w: op.width, h: op.height }, op.fit);
          const clip = f.clip ? `${num(X(op.x))} ${num(Y(op.y + op.height))} ${num(op.width)} ${num(op.height)} re W n\n` : "";
          return `q\n${clip}${num(f.w)} 0 0 ${num(f.h)} ${num(f.x)} ${num(f.y)} cm\n${name} Do\nQ\n`;
        }
        case "code":
          await loadEncoders();
          return codeOp(op, X, Y);
        case "line":
        case "rect":
        case "ellipse":
          return shapeOp(op, X, Y);
      }
    },
  };
}

function codeOp(op: CodeOp, X: (x: number) => number, Y: (y: number) => number): string {
  const key = `${op.type}\u0000${op.ecLevel ?? ""}\u0000${op.value}`;
  let e = codes.get(key);
  if (!e) {
    e = encode(op.type, op.value, { ecLevel: op.ecLevel }, op.where);
    codes.set(key, e);
    if (codes.size > CODE_ENTRIES) codes.delete(codes.keys().next().value!);
  }
  const [r, g, b] = op.color;
  const path = op.ean
    ? eanPath(e, op.ean.text, X(op.x), Y(op.y), op.width, op.height, op.ean.textTop, op.ean.guardTop, num)
    : codePath(e, X(op.x), Y(op.y), op.width, op.height, num);
  return `q\n${num(r)} ${num(g)} ${num(b)} rg\n${path}Q\n`;
}

function shapeOp(op: ShapeOp, X: (x: number) => number, Y: (y: number) => number): string {
  let out = `q\n${num(op.lineWidth)} w\n`;
  if (op.stroke) out += `${op.stroke.map(num).join(" ")} RG\n`;
  if (op.fill) out += `${op.fill.map(num).join(" ")} rg\n`;
  if (op.kind === "line") return `${out}${num(X(op.x))} ${num(Y(op.y))} m ${num(X(op.x2))} ${num(Y(op.y2))} l S\nQ\n`;
  const paint = op.fill && op.stroke && op.lineWidth > 0 ? "B" : op.fill ? "f" : op.stroke && op.lineWidth > 0 ? "S" : "n";
  const [x0, y0, x1, y1] = [X(op.x), Y(op.y2), X(op.x2), Y(op.y)];
  if (op.kind === "ellipse") return `${out}${roundedPath(x0, y0, x1, y1, (x1 - x0) / 2, (y1 - y0) / 2)}${paint}\nQ\n`;
  if (op.radius) {
    const r = Math.min(op.radius, (x1 - x0) / 2, (y1 - y0) / 2);
    return `${out}${roundedPath(x0, y0, x1, y1, r, r)}${paint}\nQ\n`;
  }
  return `${out}${num(x0)} ${num(y0)} ${num(x1 - x0)} ${num(y1 - y0)} re ${paint}\nQ\n`;
}

/** A box with corners rounded by rx, ry (an ellipse when they are half its sides), as four lines and four quarter curves. */
export function roundedPath(x0: number, y0: number, x1: number, y1: number, rx: number, ry: number): string {
  const k = 0.5523;
  const [kx, ky] = [rx * k, ry * k];
  return (
    `${num(x0 + rx)} ${num(y0)} m ${num(x1 - rx)} ${num(y0)} l ` +
    `${num(x1 - rx + kx)} ${num(y0)} ${num(x1)} ${num(y0 + ry - ky)} ${num(x1)} ${num(y0 + ry)} c ` +
    `${num(x1)} ${num(y1 - ry)} l ${num(x1)} ${num(y1 - ry + ky)} ${num(x1 - rx + kx)} ${num(y1)} ${num(x1 - rx)} ${num(y1)} c ` +
    `${num(x0 + rx)} ${num(y1)} l ${num(x0 + rx - kx)} ${num(y1)} ${num(x0)} ${num(y1 - ry + ky)} ${num(x0)} ${num(y1 - ry)} c ` +
    `${num(x0)} ${num(y0 + ry)} l ${num(x0)} ${num(y0 + ry - ky)} ${num(x0 + rx - kx)} ${num(y0)} ${num(x0 + rx)} ${num(y0)} c h\n`
  );
}
