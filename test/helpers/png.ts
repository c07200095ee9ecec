// Small PNG files for tests (images in layouts): RGBA pixels from a function, zlib-compressed.
import { deflateSync } from "node:zlib";

/** A w × h RGBA PNG; `pixel(x, y)` gives [r, g, b, a] in 0..255. */
export function makePng(w: number, h: number, pixel: (x: number, y: number) => [number, number, number, number]): Uint8Array {
  const raw = new Uint8Array(h * (1 + w * 4));
  for (let y = 0; y < h; y++) {
    raw[y * (1 + w * 4)] = 0; // filter: none
    for (let x = 0; x < w; x++) raw.set(pixel(x, y), y * (1 + w * 4) + 1 + x * 4);
  }
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    v.setUint32(8 + data.length, Number(Bun.hash.crc32(out.subarray(4, 8 + data.length))) >>> 0);
    return out;
  };
  const ihdr = new Uint8Array(13);
  const iv = new DataView(ihdr.buffer);
  iv.setUint32(0, w);
  iv.setUint32(4, h);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array())];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A round "logo": a teal disc with a white ring on a transparent ground. */
export function logoPng(size = 64): Uint8Array {
  const c = (size - 1) / 2;
  return makePng(size, size, (x, y) => {
    const d = Math.hypot(x - c, y - c) / c;
    if (d > 1) return [0, 0, 0, 0];
    if (d > 0.55 && d < 0.7) return [255, 255, 255, 255];
    return [0, 128, 128, 255];
  });
}

/**
 * A big 16-bit RGB PNG (w × h, 6 bytes a pixel decoded) that stays small as a file: every row the same
 * but the first, whose first pixel is `seed`, so PNGs of different seeds are different images. Rows
 * are deflated as a stream: the raw pixels (hundreds of MB) are never in memory at once.
 */
export async function bigPng16(w: number, h: number, seed: number): Promise<Uint8Array> {
  const { createDeflate } = await import("node:zlib");
  const z = createDeflate({ level: 6 });
  const parts: Buffer[] = [];
  z.on("data", (b: Buffer) => parts.push(b));
  const done = new Promise<void>((resolve, reject) => (z.on("end", resolve), z.on("error", reject)));
  const row = new Uint8Array(1 + w * 6);
  for (let x = 0; x < w; x++) row.set([0x12, 0x40, 0x80, 0x10, 0x33, 0x20], 1 + x * 6);
  const first = row.slice();
  first.set([seed & 0xff, (seed >> 8) & 0xff, 1, 2, 3, 4], 1);
  for (let y = 0; y < h; y++) {
    if (!z.write(y === 0 ? first : row)) await new Promise((r) => z.once("drain", r));
  }
  z.end();
  await done;
  const idat = Buffer.concat(parts);
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    v.setUint32(8 + data.length, Number(Bun.hash.crc32(out.subarray(4, 8 + data.length))) >>> 0);
    return out;
  };
  const ihdr = new Uint8Array(13);
  const iv = new DataView(ihdr.buffer);
  iv.setUint32(0, w);
  iv.setUint32(4, h);
  ihdr.set([16, 2, 0, 0, 0], 8); // 16 bits, RGB
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array())]));
}
