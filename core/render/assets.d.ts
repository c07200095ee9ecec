// Bun's `import x from "./f.ttf" with { type: "file" }` gives the file's path (inside the compiled binary too).
declare module "*.ttf" {
  const path: string;
  export default path;
}

// pako 1.x ships no types; docctl only replaces its deflate (see native-deflate.ts).
declare module "pako" {
  const pako: { deflate(data: Uint8Array): Uint8Array };
  export default pako;
}

// HarfBuzz's WebAssembly, embedded the same way (see harfbuzz.ts).
declare module "*.wasm" {
  const path: string;
  export default path;
}

// The sRGB ICC profile for PDF/A output intents (see pdfa.ts).
declare module "*.icc" {
  const path: string;
  export default path;
}

// hyphen ships no types; each `hyphen/<lang>` module exports a synchronous hyphenator (see hyphenate.ts).
declare module "hyphen/*" {
  export const hyphenateSync: (text: string, opts?: { hyphenChar?: string; minWordLength?: number }) => string;
}
