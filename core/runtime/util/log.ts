// Logging by verbosity: -v startup/shutdown, -vv process events, -vvv job events, -vvvv debug, -vvvvv trace.
import { closeSync, openSync, writeSync } from "node:fs";
import { createConsola, type LogObject } from "consola";
import { redactUrl } from "./redact.ts";
import { RepeatMerger } from "./repeats.ts";

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

/**
 * Where log lines go: stderr, or the file named by DOCCTL_LOG_FILE (`--log-file`; procs inherit it),
 * opened for appending and reopened on SIGUSR1 so logrotate can move it away.
 */
let sinkMemo: { write(s: string): boolean } | undefined;
const sink = () => (sinkMemo ??= openSink());
function openSink(): { write(s: string): boolean } {
  const path = process.env.DOCCTL_LOG_FILE;
  if (!path) return process.stderr;
  let fd = openSync(path, "a");
  process.on("SIGUSR1", () => {
    const old = fd;
    fd = openSync(path, "a");
    closeSync(old);
  });
  return {
    write(s: string) {
      writeSync(fd, s);
      return true;
    },
  };
}

/** A logger writing to stderr or --log-file (stdout stays clean for command output). */
export function createLogger(opts: LogOptions, tag = ""): Logger {
  const consola = createConsola({
    level: 5,
    stdout: sink() as NodeJS.WriteStream,
    stderr: sink() as NodeJS.WriteStream,
    ...(opts.format === "json" ? { reporters: [jsonReporter] } : {}),
    formatOptions: { date: true, colors: sink() === process.stderr && (process.stderr.isTTY ?? false) },
    // consola's own throttle only merges lines under a second apart and keeps a timer alive; ours below
    throttle: 0,
  });
  const c = tag ? consola.withTag(tag) : consola;
  const merger = new RepeatMerger((level, args) => (c[level as "info"] as (...a: unknown[]) => void)(...args));
  return wrap(merger, opts.verbosity);
}

const noop = () => {};

function wrap(m: RepeatMerger, v: number, prefix = ""): Logger {
  // A child logger only prefixes its lines: making one per job must cost next to nothing.
  const p = (a: unknown[]) => {
    const out = prefix ? [`[${prefix}]`, ...a] : a;
    return secrets.size ? out.map(maskArg) : out;
  };
  const at = (min: number, f: (...a: unknown[]) => void) => (v >= min ? f : noop);
  // Every line goes through one merger per logger tree: identical lines in a row are written once.
  const to = (level: "error" | "warn" | "info" | "debug" | "trace") => (...a: unknown[]) => m.line(level, p(a));
  return {
    verbosity: v,
    error: to("error"),
    warn: to("warn"),
    startup: at(1, to("info")),
    proc: at(2, to("info")),
    job: at(3, to("info")),
    info: at(3, to("info")),
    debug: at(4, to("debug")),
    trace: at(5, to("trace")),
    child: (tag) => wrap(m, v, prefix ? `${prefix} ${tag}` : tag),
  };
}

const jsonReporter = {
  log(o: LogObject) {
    const [first, ...rest] = o.args;
    const line: Record<string, unknown> = { time: o.date.toISOString(), level: o.type, tag: o.tag || undefined };
    line.msg = [first, ...rest].map((x) => (x instanceof Error ? x.message : typeof x === "string" ? x : JSON.stringify(x))).join(" ");
    sink().write(JSON.stringify(line) + "\n");
  },
};

export { redactUrl };

// Secrets (passwords, tokens) this process was given: masked in every log line, whatever printed them.
const secrets = new Set<string>();

/** Never let `value` reach a log line: every logger masks it from now on. */
export function addSecret(value: string | undefined): void {
  if (value && value.length >= 3) secrets.add(value);
}

/** `text` with URL credentials and registered secrets masked. */
export function maskSecrets(text: string): string {
  let out = redactUrl(text);
  for (const s of secrets) out = out.split(s).join("***");
  return out;
}

function maskArg(x: unknown): unknown {
  if (typeof x === "string") return maskSecrets(x);
  if (x instanceof Error) {
    const m = maskSecrets(x.message);
    return m === x.message ? x : Object.assign(new Error(m), { stack: maskSecrets(x.stack ?? m) });
  }
  return x;
}
