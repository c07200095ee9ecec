// pdf-lib compresses every stream with pako, pure-JS deflate. Bun's node:zlib is native and produces
// the same zlib format, so point pako at it: about 2 ms less per document. pdf-lib calls
// `pako.deflate(bytes)` on the module object at call time, so replacing the property is enough.
import pako from "pako";
import { deflateSync } from "node:zlib";

let installed = false;

/** Makes pdf-lib deflate natively (idempotent). */
export function useNativeDeflate(): void {
  if (installed) return;
  installed = true;
  (pako as unknown as { deflate: (data: Uint8Array) => Uint8Array }).deflate = (data) => new Uint8Array(deflateSync(data));
}
