// pdf-lib compresses every stream with pako, pure-JS deflate. Bun's native deflate is several times
// faster: about 2 ms less per document. pdf-lib calls `pako.deflate(bytes)` on the module object at
// call time, so replacing the property is enough.
import pako from "pako";

let installed = false;

/** Makes pdf-lib deflate natively (idempotent). */
export function useNativeDeflate(): void {
  if (installed) return;
  installed = true;
  (pako as unknown as { deflate: (data: Uint8Array) => Uint8Array }).deflate = zlibDeflate;
}

/**
 * zlib format (RFC 1950, what PDF's FlateDecode expects) around Bun's raw deflate: a 2-byte header
 * (deflate, 32K window, default compression) and the Adler-32 of the input, big-endian.
 */
export function zlibDeflate(data: Uint8Array): Uint8Array {
  const raw = Bun.deflateSync(data as Uint8Array<ArrayBuffer>);
  const out = new Uint8Array(raw.length + 6);
  out[0] = 0x78;
  out[1] = 0x9c;
  out.set(raw, 2);
  new DataView(out.buffer).setUint32(raw.length + 2, Number(Bun.hash.adler32(data as Uint8Array<ArrayBuffer>)) >>> 0);
  return out;
}
