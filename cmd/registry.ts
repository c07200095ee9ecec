// The handlers every docctl binary carries, plus plugins from directories.
import { readdirSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { HandlerRegistry, echoHandler } from "../core/runtime/worker/registry.ts";
import { ConfigError } from "../core/runtime/protocol/errors.ts";
import type { Logger } from "../core/runtime/util/log.ts";

// The built-in plugins (and the package served to plugin files) are imported when a registry is
// built, not when the binary starts: the pdf plugin pulls in the render engine (pdf-lib, fontkit,
// HarfBuzz, barcode encoders), which cost every command, `docctl submit` included, ~130 ms at start.
const BUILTINS = ["echo", "pdf", "title"];
let pdfModule: typeof import("../plugins/pdf/index.ts") | undefined;

/** A registry with the built-in handlers and, if given, the plugins of each of `pluginsDirs`. */
export async function buildRegistry(pluginsDirs: string | string[] = [], log?: Logger): Promise<HandlerRegistry> {
  const reg = new HandlerRegistry();
  const [title, pdf, { providePackageToPlugins }] = await Promise.all([
    import("../plugins/title-fetch/index.ts"),
    import("../plugins/pdf/index.ts"),
    import("./plugin-imports.ts"),
  ]);
  pdfModule = pdf;
  reg.register("echo", echoHandler);
  reg.register("title", title.default);
  reg.register("pdf", pdf.default);
  const from = new Map<string, string>();
  providePackageToPlugins();
  for (const dir of typeof pluginsDirs === "string" ? [pluginsDirs] : pluginsDirs) {
    for (const name of await reg.loadPlugins(dir)) {
      // Two directories with one job type: which one runs would depend on the order of the flags.
      if (from.has(name)) throw new ConfigError(`--plugins: handler "${name}" is in both ${from.get(name)} and ${reg.get(name)?.source ?? dir}; rename one of the files`, "plugins");
      from.set(name, reg.get(name)?.source ?? dir);
    }
    for (const o of reg.overrides) log?.warn(`plugin ${o.path} replaces the built-in handler "${o.name}" (it says override: true)`);
  }
  return reg;
}

/** Built-in handler names plus the plugin files' names (file name = job type), without importing any plugin. */
export async function handlerNames(pluginsDirs: string[] = []): Promise<string[]> {
  const names = new Set(BUILTINS);
  for (const n of pluginFileNames(pluginsDirs)) names.add(n);
  return [...names].sort();
}

/** The job types the plugin files of `dirs` would register (file name = job type), without importing them. */
export function pluginFileNames(dirs: string[]): string[] {
  const names = new Set<string>();
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch (err) {
      throw new ConfigError(`--plugins ${dir}: cannot read the directory (${(err as Error).message})`, "plugins");
    }
    for (const f of files) {
      const m = /^(.+)\.(ts|js|mjs)$/.exec(f);
      if (m && !f.endsWith(".d.ts") && !f.startsWith(".")) names.add(m[1]!);
    }
  }
  return [...names].sort();
}

/** Hands the built-in handlers that need NATS (pdf reads templates) the proc's connection. */
export function connectBuiltins(nc: NatsConnection): void {
  if (!pdfModule) throw new Error("connectBuiltins() before buildRegistry(): the pdf plugin is not loaded yet");
  pdfModule.configurePdf({ nc });
}
