// The handlers every docctl binary carries, plus plugins from a directory.
import { HandlerRegistry, echoHandler } from "../core/runtime/registry.ts";
import title from "../plugins/title-fetch/index.ts";

/** A registry with the built-in handlers and, if given, the plugins of `pluginsDir`. */
export async function buildRegistry(pluginsDir?: string): Promise<HandlerRegistry> {
  const reg = new HandlerRegistry();
  reg.register("echo", echoHandler);
  reg.register("title", title);
  if (pluginsDir) await reg.loadPlugins(pluginsDir);
  return reg;
}
