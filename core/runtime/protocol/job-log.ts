// Job log lines: what a handler writes with ctx.log, kept with the job on `docctl.logs.<batch>.<id>`
// in DOCCTL_LOGS (at most LOG_MAX_LINES per job, each at most LOG_MAX_CHARS, kept as long as results).
import { STREAM_LOGS, logSubject } from "./subjects.ts";

export { STREAM_LOGS };
/** lines kept per job (the oldest go first) */
export const LOG_MAX_LINES = 200;
/** characters per line (the rest is cut, saying so) */
export const LOG_MAX_CHARS = 2_000;

export { logSubject };

/** One line (JSON on the wire, so any client reads it without msgpack). */
export interface JobLogLineV1 {
  v: 1;
  /** ms since epoch */
  at: number;
  level: "info" | "warn" | "error" | "debug";
  msg: string;
  attempt: number;
  worker: string;
}

export function encodeLogLine(l: JobLogLineV1): Uint8Array {
  const msg = l.msg.length > LOG_MAX_CHARS ? `${l.msg.slice(0, LOG_MAX_CHARS)}... (${l.msg.length - LOG_MAX_CHARS} more characters cut)` : l.msg;
  return new TextEncoder().encode(JSON.stringify({ ...l, msg }));
}

export function decodeLogLine(b: Uint8Array): JobLogLineV1 | undefined {
  try {
    const l = JSON.parse(new TextDecoder().decode(b)) as JobLogLineV1;
    return l && typeof l.msg === "string" && typeof l.at === "number" ? l : undefined;
  } catch {
    return undefined; // not JSON: a foreign message on a job's log subject, not a log line
  }
}
