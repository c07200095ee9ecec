// The one logger type of docctl: what every component logs to and what a handler gets as ctx.log. The
// CLI's implementation is core/runtime/util/log.ts; a library user's console or pino is adapted to it
// (core/lib/logger.ts). Components that use a few levels name them with Pick<Logger, ...>.

/** Structured fields a log line carries (JSON: as keys; pretty: as `key=value` before the message). */
export interface LogFields {
  job_id?: string;
  handler?: string;
  worker?: string;
  proc?: string;
  [key: string]: string | number | undefined;
}

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
  /** debug (-vvvv): pull sizes, acks, heartbeats, lease renewals, provider HTTP calls */
  debug(...a: unknown[]): void;
  /** trace (-vvvvv): message sizes, timings of each step */
  trace(...a: unknown[]): void;
  /** a logger whose lines carry `tag` (a string, shown in brackets) or structured fields (job_id, handler ...) */
  child(tag: string | LogFields): Logger;
  verbosity: number;
}
