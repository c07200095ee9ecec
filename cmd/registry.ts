// The handlers every docctl binary carries, plus plugins from a directory.
import type { NatsConnection } from "@nats-io/transport-node";
import { HandlerRegistry, echoHandler } from "../core/runtime/worker/registry.ts";
import title from "../plugins/title-fetch/index.ts";
import pdf, { configurePdf } from "../plugins/pdf/index.ts";

/** A registry with the built-in handlers and, if given, the plugins of `pluginsDir`. */
export async function buildRegistry(pluginsDir?: string): Promise<HandlerRegistry> {
  const reg = new HandlerRegistry();
  reg.register("echo", echoHandler);
  reg.register("title", title);
  reg.register("pdf", pdf);
  if (pluginsDir) await reg.loadPlugins(pluginsDir);
  return reg;
}

/** Hands the built-in handlers that need NATS (pdf reads templates) the proc's connection. */
export function connectBuiltins(nc: NatsConnection): void {
  configurePdf({ nc });
}
