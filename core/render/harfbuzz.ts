// HarfBuzz (its WebAssembly build, harfbuzzjs) loaded once per process, on first use.
// harfbuzzjs instantiates its .wasm when the module is imported, reading it beside the module. Inside a
// `bun build --compile` binary that is `/$bunfs/root/harfbuzz.wasm`: importing the file here embeds it,
// and the build keeps its name (`--asset-naming "[name].[ext]"` in package.json's build script).
import wasmPath from "harfbuzzjs/dist/harfbuzz.wasm" with { type: "file" };

export type HarfBuzz = typeof import("harfbuzzjs");

let loading: Promise<HarfBuzz> | null = null;
let loaded: HarfBuzz | null = null;

/** Loads HarfBuzz (about 30 ms, once per process). */
export function loadHarfBuzz(): Promise<HarfBuzz> {
  loading ??= import("harfbuzzjs").then(
    (hb) => (loaded = hb),
    (err) => {
      loading = null;
      throw new Error(`cannot load HarfBuzz (${wasmPath}): ${(err as Error).message}`, { cause: err });
    },
  );
  return loading;
}

/** HarfBuzz after loadHarfBuzz() has resolved. */
export function harfbuzz(): HarfBuzz {
  if (!loaded) throw new Error("HarfBuzz is not loaded: call loadHarfBuzz() (loadFonts() does) first");
  return loaded;
}
