// Logging by verbosity: -v startup/shutdown, -vv process events, -vvv job events, -vvvv debug, -vvvvv trace.
import { closeSync, openSync, writeSync } from "node:fs";
import { formatWithOptions } from "node:util";
import { redactUrl } from "./redact.ts";
import { RepeatMerger } from "./repeats.ts";

import type { LogFields, Logger } from "../protocol/logger.ts";

export type { LogFields, Logger };

export interface LogOptions {
  verbosity: number;
  format: "pretty" | "json";
  /** fields every line carries (the worker id, the proc name) */
  fields?: LogFields;
}

/**
 * Where log lines go: stderr, or the file named by DOCCTL_LOG_FILE (`--log-file`; procs inherit it),
 * opened for appending and reopened on SIGUSR1 so logrotate can move it away.
 */
let sinkMemo: { write(s: string): boolean; tty: boolean } | undefined;
const sink = () => (sinkMemo ??= openSink());
function openSink(): { write(s: string): boolean; tty: boolean } {
  const path = process.env.DOCCTL_LOG_FILE;
  if (!path) return { write: (s) => process.stderr.write(s), tty: process.stderr.isTTY ?? false };
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
    tty: false,
  };
}

type Level = "error" | "warn" | "info" | "debug" | "trace";
const LABEL: Record<Level, string> = { error: "ERROR", warn: "WARN ", info: "INFO ", debug: "DEBUG", trace: "TRACE" };
const COLOR: Record<Level, string> = { error: "\x1b[31m", warn: "\x1b[33m", info: "\x1b[36m", debug: "\x1b[90m", trace: "\x1b[90m" };

/** A logger writing to stderr or --log-file (stdout stays clean for command output). */
export function createLogger(opts: LogOptions, tag = ""): Logger {
  // Every line goes through one merger per logger tree: identical lines in a row are written once.
  const ctx: Ctx = { tags: tag ? [tag] : [], fields: { ...opts.fields } };
  const merger = new RepeatMerger((level, args, c) => emit(opts, (c as Ctx | undefined) ?? ctx, level as Level, args));
  return wrap(opts, merger, ctx);
}

const noop = () => {};

// The message: strings as they are, errors by their message, anything else inspected on one line;
// URL credentials and registered secrets masked whatever printed them.
function text(a: readonly unknown[]): string {
  const out = a.map((x) => (x instanceof Error ? x.message : typeof x === "string" ? x : formatWithOptions({ depth: 4, breakLength: Infinity }, "%O", x))).join(" ");
  return maskSecrets(out);
}

/** A logger's tags and fields: one object per logger, so the repeat merger tells them apart by identity. */
interface Ctx {
  tags: string[];
  fields: LogFields;
}

function emit(opts: LogOptions, c: Ctx, level: Level, a: readonly unknown[]): void {
  const now = new Date();
  const msg = text(a);
  if (opts.format === "json") {
    // a real level, the time, and the job's fields as keys (not inside the message)
    const line: Record<string, unknown> = { time: now.toISOString(), level };
    for (const [k, val] of Object.entries(c.fields)) if (val !== undefined) line[k] = val;
    if (c.tags.length) line.tag = c.tags.join(" ");
    line.msg = msg;
    sink().write(JSON.stringify(line) + "\n");
    return;
  }
  // pretty: a time on every line (in files too), the level, the tags, the job's fields, the message
  const f = Object.entries(c.fields)
    .filter(([k, val]) => val !== undefined && k !== "worker" && k !== "proc")
    .map(([k, val]) => `${k}=${val}`)
    .join(" ");
  const lvl = sink().tty ? `${COLOR[level]}${LABEL[level]}\x1b[0m` : LABEL[level];
  sink().write(`${now.toISOString().slice(11, 23)} ${lvl} ${c.tags.map((x) => `[${x}] `).join("")}${f ? `${f} ` : ""}${msg}\n`);
}

function wrap(opts: LogOptions, m: RepeatMerger, c: Ctx): Logger {
  const v = opts.verbosity;
  const to = (level: Level) => (...a: unknown[]) => m.line(level, a, c);
  const at = (min: number, level: Level) => (v >= min ? to(level) : noop);
  return {
    verbosity: v,
    error: to("error"),
    warn: to("warn"),
    startup: at(1, "info"),
    proc: at(2, "info"),
    job: at(3, "info"),
    info: at(3, "info"),
    debug: at(4, "debug"),
    trace: at(5, "trace"),
    // A child logger only adds tags or fields: making one per job must cost next to nothing.
    child: (t) => wrap(opts, m, typeof t === "string" ? { tags: [...c.tags, t], fields: c.fields } : { tags: c.tags, fields: { ...c.fields, ...t } }),
  };
}

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
