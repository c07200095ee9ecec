// The logger a library user hands in (console works), adapted to the runtime's levels.
import type { Logger } from "../runtime/util/log.ts";

/** What Worker logs to: `console` fits, so do pino, consola and winston. The one Logger's levels, each optional. */
export type LibLogger = Partial<Pick<Logger, "error" | "warn" | "info" | "debug">>;

/** Warnings and errors to the console; nothing else. What a library says when it was not told. */
export const quietConsole: LibLogger = {
  error: (...a) => console.error("[docctl]", ...a),
  warn: (...a) => console.warn("[docctl]", ...a),
};

/**
 * The runtime's Logger over `l`: startup and job lines go to `info`, debug and trace to `debug`.
 * Lines of a child logger start with its tag, as the CLI's do.
 */
export function toRuntimeLogger(l: LibLogger = quietConsole, prefix = ""): Logger {
  const call = (f: ((...a: unknown[]) => void) | undefined) =>
    f ? (...a: unknown[]) => f.call(l, ...(prefix ? [`[${prefix}]`, ...a] : a)) : () => {};
  return {
    verbosity: l.debug ? 4 : l.info ? 3 : 0,
    error: call(l.error),
    warn: call(l.warn),
    startup: call(l.info),
    proc: call(l.info),
    job: call(l.info),
    info: call(l.info),
    debug: call(l.debug),
    trace: call(l.debug),
    child: (t) => {
      const tag = typeof t === "string" ? t : Object.values(t).filter((x) => x !== undefined).join(":");
      return toRuntimeLogger(l, prefix ? `${prefix} ${tag}` : tag);
    },
  };
}
