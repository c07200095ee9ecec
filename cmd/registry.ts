// The handlers every docctl binary carries, plus plugins from a directory.
import { HandlerRegistry, echoHandler } from "../core/runtime/registry.ts";

/** A registry with the built-in handlers and, if given, the plugins of `pluginsDir`. */
export async function buildRegistry(pluginsDir?: string): Promise<HandlerRegistry> {
  const reg = new HandlerRegistry();
  reg.register("echo", echoHandler);
  if (pluginsDir) await reg.loadPlugins(pluginsDir);
  return reg;
}
