// Logging by verbosity: -v startup/shutdown, -vv process events, -vvv job events, -vvvv debug, -vvvvv trace.
import { createConsola, type ConsolaInstance, type LogObject } from "consola";

export interface Logger {
  error(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  /** startup and shutdown (-v) */
  startup(...a: unknown[]): void;
  /** process events: procs started, exited, restarted (-vv) */
  proc(...a: unknown[]): void;
  /** one line per job event (-vvv) */
  job(...a: unknown[]): void;
  /** same as job(): handlers' own lines (-vvv) */
  info(...a: unknown[]): void;
  debug(...a: unknown[]): void;
  trace(...a: unknown[]): void;
  /** a logger whose lines carry `tag` */
  child(tag: string): Logger;
  verbosity: number;
}

export interface LogOptions {
  verbosity: number;
  format: "pretty" | "json";
}

/** A logger writing to stderr (stdout stays clean for command output). */
export function createLogger(opts: LogOptions, tag = ""): Logger {
  const consola = createConsola({
    level: 5,
    stdout: process.stderr,
    stderr: process.stderr,
    ...(opts.format === "json" ? { reporters: [jsonReporter] } : {}),
    formatOptions: { date: true, colors: process.stderr.isTTY ?? false },
  });
  return wrap(tag ? consola.withTag(tag) : consola, opts.verbosity);
}

const noop = () => {};

function wrap(c: ConsolaInstance, v: number, prefix = ""): Logger {
  // A child logger only prefixes its lines: making one per job must cost next to nothing.
  const p = (a: unknown[]) => (prefix ? [`[${prefix}]`, ...a] : a) as [any];
  const at = (min: number, f: (...a: unknown[]) => void) => (v >= min ? f : noop);
  return {
    verbosity: v,
    error: (...a) => c.error(...p(a)),
    warn: (...a) => c.warn(...p(a)),
    startup: at(1, (...a) => c.info(...p(a))),
    proc: at(2, (...a) => c.info(...p(a))),
    job: at(3, (...a) => c.info(...p(a))),
    info: at(3, (...a) => c.info(...p(a))),
    debug: at(4, (...a) => c.debug(...p(a))),
    trace: at(5, (...a) => c.trace(...p(a))),
    child: (tag) => wrap(c, v, prefix ? `${prefix} ${tag}` : tag),
  };
}

const jsonReporter = {
  log(o: LogObject) {
    const [first, ...rest] = o.args;
    const line: Record<string, unknown> = { time: o.date.toISOString(), level: o.type, tag: o.tag || undefined };
    line.msg = [first, ...rest].map((x) => (x instanceof Error ? x.message : typeof x === "string" ? x : JSON.stringify(x))).join(" ");
    process.stderr.write(JSON.stringify(line) + "\n");
  },
};

/** A URL fit for logs: credentials and tokens masked. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]+)@/g, "//***@");
}
