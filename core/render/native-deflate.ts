// pdf-lib compresses every stream with pako, pure-JS deflate. node:zlib (native in Node and in Bun) is
// several times faster: about 2 ms less per document. pdf-lib calls `pako.deflate(bytes)` on the module
// object at call time, so replacing the property is enough.
import { deflateSync } from "node:zlib";
import pako from "pako";

let installed = false;

/** Makes pdf-lib deflate natively (idempotent). */
export function useNativeDeflate(): void {
  if (installed) return;
  installed = true;
  (pako as unknown as { deflate: (data: Uint8Array) => Uint8Array }).deflate = zlibDeflate;
}

/** zlib format (RFC 1950: header, deflate, Adler-32), what PDF's FlateDecode expects. */
export function zlibDeflate(data: Uint8Array): Uint8Array {
  const b = deflateSync(data);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
