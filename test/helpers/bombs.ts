// Hostile base PDFs for the safe-template tests: small files that cost a naive reader gigabytes.
import { constants, deflateRawSync } from "node:zlib";

/** Serialises numbered objects into a PDF with a correct xref table. */
function pdf(objects: (string | Uint8Array)[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")];
  let offset = parts[0].length;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(offset);
    const bytes = typeof o === "string" ? enc.encode(`${i + 1} 0 obj\n${o}\nendobj\n`) : o;
    parts.push(bytes);
    offset += bytes.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  parts.push(enc.encode(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** ~1.5 KB: a page tree whose every node lists its child ten times, seven levels deep: 10 million pages. */
export function pageTreeBomb(): Uint8Array {
  const levels = 7;
  const objs: string[] = ["<< /Type /Catalog /Pages 2 0 R >>"];
  for (let l = 0; l < levels; l++) {
    const self = 2 + l;
    const kid = self + 1;
    const parent = l === 0 ? "" : ` /Parent ${self - 1} 0 R`;
    objs.push(`<< /Type /Pages${parent} /Kids [${Array(10).fill(`${kid} 0 R`).join(" ")}] /Count ${10 ** (levels - l)} >>`);
  }
  objs.push(`<< /Type /Page /Parent ${1 + levels} 0 R /MediaBox [0 0 595 842] >>`);
  return pdf(objs);
}

/**
 * ~4 MB: an object stream whose Flate data inflates to about 4 GB (deflate's best ratio is ~1000:1;
 * one full-flushed block of a megabyte of zeros, repeated, is a valid stream of many megabytes).
 */
export function objectStreamBomb(compressedBytes = 4 * 1024 * 1024): Uint8Array {
  const chunk = deflateRawSync(new Uint8Array(1 << 20), { finishFlush: constants.Z_FULL_FLUSH });
  const n = Math.ceil(compressedBytes / chunk.length);
  const data = new Uint8Array(2 + n * chunk.length + 2);
  data.set([0x78, 0x9c], 0);
  for (let i = 0; i < n; i++) data.set(chunk, 2 + i * chunk.length);
  data.set([0x03, 0x00], 2 + n * chunk.length); // final empty block
  const enc = new TextEncoder();
  const head = enc.encode(`4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`);
  const tail = enc.encode("\nendstream\nendobj\n");
  const stream = new Uint8Array(head.length + data.length + tail.length);
  stream.set(head, 0);
  stream.set(data, head.length);
  stream.set(tail, head.length + data.length);
  return pdf(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>", stream]);
}
