// The one logger type of docctl: what every component is handed (injected, never imported as a module
// singleton) and what a handler gets as ctx.log. Implemented once, with consola underneath
// (core/runtime/util/log.ts); a library user's console or pino is forwarded to through it (core/lib/logger.ts).

/** Structured fields a log line carries (JSON: as keys; pretty: as `key=value` before the message). */
export interface LogFields {
  job_id?: string;
  handler?: string;
  worker?: string;
  proc?: string;
  [key: string]: string | number | undefined;
}

/**
 * The one logger type: levels by verbosity (-v … -vvvvv), child loggers with a tag or fields. What a
 * handler gets as `ctx.log` (its lines carry the job id and type and are kept with the job).
 */
export interface Logger {
  /** errors: always written */
  error(...a: unknown[]): void;
  /** warnings: always written */
  warn(...a: unknown[]): void;
  /** startup and shutdown (-v) */
  startup(...a: unknown[]): void;
  /** process events: procs started, exited, restarted (-vv) */
  proc(...a: unknown[]): void;
  /** one line per job event (-vvv) */
  job(...a: unknown[]): void;
  /** same as job(): handlers' own lines (-vvv) */
  info(...a: unknown[]): void;
  /** debug (-vvvv): pull sizes, acks, heartbeats, lease renewals, provider HTTP calls */
  debug(...a: unknown[]): void;
  /** trace (-vvvvv): message sizes, timings of each step */
  trace(...a: unknown[]): void;
  /** a logger whose lines carry `tag` (a string, shown in brackets) or structured fields (job_id, handler ...) */
  child(tag: string | LogFields): Logger;
  /** the -v count this logger writes at (0 = warnings and errors only) */
  verbosity: number;
}
