// The two line formats users see (--log-format pretty|json), as pure functions of one entry: no clock,
// no stream. The reporters in log-reporters.ts hand them consola's log objects.
import { formatWithOptions } from "node:util";
import type { LogFields } from "../protocol/logger.ts";

/** The levels a line shows: the Logger's methods startup/proc/job/info are all "info". */
export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";

/** The Logger's methods, each a consola log type of its own. */
export type LogKind = "error" | "warn" | "startup" | "proc" | "job" | "info" | "debug" | "trace";

/** The verbosity (-v count) from which each kind is written: errors and warnings always. */
export const kindVerbosity: Record<LogKind, number> = { error: 0, warn: 0, startup: 1, proc: 2, job: 3, info: 3, debug: 4, trace: 5 };

/** The level each kind shows. */
export const kindLevel: Record<LogKind, LogLevel> = { error: "error", warn: "warn", startup: "info", proc: "info", job: "info", info: "info", debug: "debug", trace: "trace" };

/** One line before formatting. */
export interface LogEntry {
  date: Date;
  level: LogLevel;
  /** the logger's tags, outermost first */
  tags: readonly string[];
  fields: LogFields;
  /** the message, already one string */
  msg: string;
}

/** The message of a call's arguments: strings as they are, errors by their message, anything else inspected on one line. */
export function messageText(args: readonly unknown[]): string {
  return args.map((x) => (x instanceof Error ? x.message : typeof x === "string" ? x : formatWithOptions({ depth: 4, breakLength: Infinity }, "%O", x))).join(" ");
}

/** JSON: the time, a real level, the fields as keys (not inside the message), the tags, the message. */
export function jsonLine(e: LogEntry): string {
  const line: Record<string, unknown> = { time: e.date.toISOString(), level: e.level };
  for (const [k, val] of Object.entries(e.fields)) if (val !== undefined) line[k] = val;
  if (e.tags.length) line.tag = e.tags.join(" ");
  line.msg = e.msg;
  return JSON.stringify(line) + "\n";
}

const LABEL: Record<LogLevel, string> = { error: "ERROR", warn: "WARN ", info: "INFO ", debug: "DEBUG", trace: "TRACE" };
const COLOR: Record<LogLevel, string> = { error: "\x1b[31m", warn: "\x1b[33m", info: "\x1b[36m", debug: "\x1b[90m", trace: "\x1b[90m" };

/**
 * Pretty: `HH:MM:SS.mmm LEVEL [tag] key=value message` (UTC time on every line, in files too; the level
 * coloured on a terminal). worker and proc are left out: the proc is the tag, the worker is the process.
 */
export function prettyLine(e: LogEntry, tty: boolean): string {
  const f = Object.entries(e.fields)
    .filter(([k, val]) => val !== undefined && k !== "worker" && k !== "proc")
    .map(([k, val]) => `${k}=${val}`)
    .join(" ");
  const lvl = tty ? `${COLOR[e.level]}${LABEL[e.level]}\x1b[0m` : LABEL[e.level];
  return `${e.date.toISOString().slice(11, 23)} ${lvl} ${e.tags.map((x) => `[${x}] `).join("")}${f ? `${f} ` : ""}${e.msg}\n`;
}
