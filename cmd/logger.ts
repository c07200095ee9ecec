// The CLI's loggers: each command's lines in the format, at the verbosity and to the destination the
// global options chose, masking the secrets this process was given.
import type { GlobalOptions } from "./command.ts";
import { createLogger, type LogFields, type Logger } from "../core/runtime/util/log.ts";

/** A logger for a command; `verbosity` overrides -v (the manager shows its decisions from 1). */
export function cliLogger(g: GlobalOptions, tag = "", o: { verbosity?: number; fields?: LogFields } = {}): Logger {
  return createLogger({ verbosity: o.verbosity ?? g.verbosity, format: g.logFormat, fields: o.fields, secrets: g.secrets, sink: g.logSink }, tag);
}
