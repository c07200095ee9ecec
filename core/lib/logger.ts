// The logger a library user hands in (console, pino, consola, winston) under the one Logger type:
// consola underneath, as in the CLI, with a reporter that forwards each line (masked, tags first) to
// the user's method of its level.
import { createLogger } from "../runtime/util/log.ts";
import { entryOf, type LogReporter } from "../runtime/util/log-reporters.ts";
import { Secrets } from "../runtime/util/secrets.ts";
import type { Logger } from "../runtime/protocol/logger.ts";
import type { LogLevel } from "../runtime/util/log-format.ts";

/**
 * What a Worker logs to: `console` fits, so do pino, consola and winston. Each method is optional: a
 * level the object lacks is not written. Each call gets one string: `[tag] [job-id:handler] message`.
 */
export interface LibLogger {
  /** errors: a job's handler failing for good, a lost connection */
  error?(...a: unknown[]): void;
  /** warnings: a retry, a slow NATS */
  warn?(...a: unknown[]): void;
  /** startup, shutdown and one line per job event */
  info?(...a: unknown[]): void;
  /** debug and trace: pulls, acks, heartbeats */
  debug?(...a: unknown[]): void;
}

/** Warnings and errors to the console; nothing else. What a library says when it was not told. */
export const quietConsole: LibLogger = {
  error: (...a) => console.error("[docctl]", ...a),
  warn: (...a) => console.warn("[docctl]", ...a),
};

const METHOD: Record<LogLevel, keyof LibLogger> = { error: "error", warn: "warn", info: "info", debug: "debug", trace: "debug" };

/** A consola reporter that hands each line to `l`'s method of its level, as one string. */
export function forwardReporter(l: LibLogger): LogReporter {
  return {
    log(o) {
      const e = entryOf(o);
      const f = l[METHOD[e.level]];
      if (!f) return;
      const vals = Object.values(e.fields).filter((x) => x !== undefined);
      const tags = vals.length ? [...e.tags, vals.join(":")] : e.tags;
      f.call(l, `${tags.map((t) => `[${t}] `).join("")}${e.msg}`);
    },
  };
}

/**
 * The runtime's Logger over `l`: startup and job lines go to `info`, debug and trace to `debug`; URL
 * credentials and `secrets` are masked; repeats are merged as in the CLI.
 */
export function toRuntimeLogger(l: LibLogger = quietConsole, secrets = new Secrets()): Logger {
  const verbosity = l.debug ? 5 : l.info ? 3 : 0;
  return createLogger({ verbosity, secrets, reporter: forwardReporter(l) });
}
