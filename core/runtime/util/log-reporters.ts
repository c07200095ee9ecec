// consola reporters: the two formats (pretty, JSON) onto a sink, and two wrappers any reporter can be
// put inside: secret masking and the repeat merger. Each holds only its own state (no module state).
// Typed with docctl's own LogRecord/LogReporter so that no public declaration names consola's types
// (they need @types/node, which a library user may not have); util/log.ts hands them to consola.
import type { LogFields } from "../protocol/logger.ts";
import { jsonLine, kindLevel, messageText, prettyLine, type LogEntry, type LogKind } from "./log-format.ts";
import type { LogSink } from "./log-sink.ts";
import { RepeatMerger, type RepeatOptions } from "./repeats.ts";
import type { Secrets } from "./secrets.ts";

/** One line as consola hands it to a reporter: its log object (date, type, args) with what a docctl Logger adds. */
export interface LogRecord {
  date: Date;
  /** the Logger method that wrote it (a consola log type) */
  type: string;
  args: unknown[];
  tags: readonly string[];
  fields: LogFields;
  /** the logger (tags + fields) the line came from: the repeat merger merges lines of one source only */
  source: object;
}

/** A consola reporter: what each line is handed to. */
export interface LogReporter {
  log(o: LogRecord): void;
}

/** The entry a format reporter writes. */
export function entryOf(o: LogRecord): LogEntry {
  return { date: o.date, level: kindLevel[o.type as LogKind] ?? "info", tags: o.tags ?? [], fields: o.fields ?? {}, msg: messageText(o.args ?? []) };
}

/** `--log-format json`: one JSON object per line onto `sink`. */
export function jsonReporter(sink: LogSink): LogReporter {
  return { log: (o) => sink.write(jsonLine(entryOf(o))) };
}

/** `--log-format pretty`: one readable line per entry onto `sink`. */
export function prettyReporter(sink: LogSink): LogReporter {
  return { log: (o) => sink.write(prettyLine(entryOf(o), sink.tty)) };
}

/** `inner` sees every line with URL credentials and `secrets` masked: in the message, the tags and the fields. */
export function maskingReporter(secrets: Secrets, inner: LogReporter): LogReporter {
  return {
    log(d) {
      const fields: LogFields = {};
      for (const [k, v] of Object.entries(d.fields ?? {})) fields[k] = typeof v === "string" ? secrets.mask(v) : v;
      inner.log({ ...d, args: [secrets.mask(messageText(d.args ?? []))], tags: (d.tags ?? []).map((t) => secrets.mask(t)), fields });
    },
  };
}

/**
 * Identical lines in a row from one logger reach `inner` once, then as "… repeated N more times" when
 * another line comes or the window ends (see repeats.ts). `flush()` writes a pending count now.
 */
export function repeatReporter(inner: LogReporter, o: Partial<RepeatOptions> = {}): LogReporter & { flush(): void } {
  const merger = new RepeatMerger(
    (_level, args, first) => {
      const f = first as LogRecord;
      // the line itself as it came, or its summary now
      inner.log(args === f.args ? f : { ...f, args: [...args], date: new Date() });
    },
    { ...o, same: (a, b) => (a as LogRecord).source === (b as LogRecord).source },
  );
  return {
    log(lo) {
      merger.line(kindLevel[lo.type as LogKind] ?? lo.type, lo.args ?? [], lo);
    },
    flush: () => merger.flush(),
  };
}
