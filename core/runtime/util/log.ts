// The CLI's Logger: consola underneath, with docctl's own reporters (pretty or JSON onto stderr or
// --log-file, wrapped in secret masking and the repeat merger). Verbosity: -v startup/shutdown,
// -vv process events, -vvv job events, -vvvv debug, -vvvvv trace.
import { createConsola, type ConsolaOptions } from "consola/core";
import type { LogFields, Logger } from "../protocol/logger.ts";
import { kindVerbosity, type LogKind } from "./log-format.ts";
import { jsonReporter, maskingReporter, prettyReporter, repeatReporter, type LogRecord, type LogReporter } from "./log-reporters.ts";
import { stderrSink, type LogSink } from "./log-sink.ts";
import { redactUrl } from "./redact.ts";
import { Secrets } from "./secrets.ts";
import type { RepeatOptions } from "./repeats.ts";

export type { LogFields, Logger, LogKind };
export { redactUrl, Secrets };

/** How a logger tree writes. */
export interface LogOptions {
  /** -v count: 0 = warnings and errors only … 5 = trace */
  verbosity: number;
  /** the line format; ignored when `reporter` is given @defaultValue "pretty" */
  format?: "pretty" | "json";
  /** fields every line carries (the worker id, the proc name) */
  fields?: LogFields;
  /** values masked in every line, with URL credentials; register more on it later (`secrets.add`) @defaultValue none */
  secrets?: Secrets;
  /** where the formatted lines go @defaultValue standard error, one synchronous write per line */
  sink?: LogSink;
  /** where the lines go instead of a format onto `sink` (the library forwards to a user's console or pino) */
  reporter?: LogReporter;
  /** the repeat merger's window and clock; `false`: every line as it comes */
  repeats?: Partial<RepeatOptions> | false;
}

// The Logger's methods as consola log types, each at the verbosity it needs.
const TYPES = Object.fromEntries(Object.entries(kindVerbosity).map(([kind, level]) => [kind, { level }])) as unknown as ConsolaOptions["types"];

/** The reporter chain of a logger tree: the repeat merger, then masking, then the output. */
export function logReporter(opts: LogOptions): LogReporter {
  const sink = opts.sink ?? stderrSink();
  const out = opts.reporter ?? (opts.format === "json" ? jsonReporter(sink) : prettyReporter(sink));
  const masked = maskingReporter(opts.secrets ?? new Secrets(), out);
  return opts.repeats === false ? masked : repeatReporter(masked, opts.repeats);
}

/** A logger writing to stderr or `opts.sink` (stdout stays clean for command output); `tag` prefixes its lines. */
export function createLogger(opts: LogOptions, tag = ""): Logger {
  const chain = logReporter(opts);
  // consola's log object is a LogRecord: it adds date and type to what wrap() hands it (args, tags, fields, source)
  const consola = createConsola({ level: opts.verbosity, types: TYPES, throttle: 0, reporters: [{ log: (o) => chain.log(o as unknown as LogRecord) }] });
  const send = consola as unknown as Record<LogKind, (o: Pick<LogRecord, "args" | "tags" | "fields" | "source">) => void>;
  return wrap(opts.verbosity, send, { tags: tag ? [tag] : [], fields: { ...opts.fields } });
}

const noop = () => {};

/** A logger's tags and fields: one object per logger, so the repeat merger tells loggers apart. */
interface Ctx {
  tags: string[];
  fields: LogFields;
}

function wrap(v: number, send: Record<LogKind, (o: Pick<LogRecord, "args" | "tags" | "fields" | "source">) => void>, c: Ctx): Logger {
  // a level below the verbosity is a no-op here, before any argument is looked at (the hot path logs per job)
  const at = (kind: LogKind) => (v >= kindVerbosity[kind] ? (...args: unknown[]) => send[kind]({ args, tags: c.tags, fields: c.fields, source: c }) : noop);
  return {
    verbosity: v,
    error: at("error"),
    warn: at("warn"),
    startup: at("startup"),
    proc: at("proc"),
    job: at("job"),
    info: at("info"),
    debug: at("debug"),
    trace: at("trace"),
    // A child logger only adds tags or fields: making one per job must cost next to nothing.
    child: (t) => wrap(v, send, typeof t === "string" ? { tags: [...c.tags, t], fields: c.fields } : { tags: c.tags, fields: { ...c.fields, ...t } }),
  };
}

/** A logger that writes nothing (a bench, a test, a component run quietly). */
export function silentLogger(): Logger {
  return createLogger({ verbosity: 0, reporter: { log: () => {} } });
}

/**
 * `inner`, with every line (at any verbosity) also handed to `also`: a job's own lines are kept with
 * the job while the worker's log shows them at its verbosity. Children keep both.
 */
export function teeLogger(inner: Logger, also: (kind: LogKind, args: unknown[]) => void): Logger {
  const both = (kind: LogKind) => (...a: unknown[]) => {
    inner[kind](...a);
    also(kind, a);
  };
  return {
    verbosity: inner.verbosity,
    error: both("error"),
    warn: both("warn"),
    startup: both("startup"),
    proc: both("proc"),
    job: both("job"),
    info: both("info"),
    debug: both("debug"),
    trace: both("trace"),
    child: (t) => teeLogger(inner.child(t), also),
  };
}
