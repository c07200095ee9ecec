// consola reporters: the two formats (pretty, JSON) onto a sink, and two wrappers any reporter can be
// put inside: secret masking and the repeat merger. Each holds only its own state (no module state).
import type { ConsolaReporter, LogObject } from "consola/core";
import type { LogFields } from "../protocol/logger.ts";
import { jsonLine, kindLevel, messageText, prettyLine, type LogEntry, type LogKind } from "./log-format.ts";
import type { LogSink } from "./log-sink.ts";
import { RepeatMerger, type RepeatOptions } from "./repeats.ts";
import type { Secrets } from "./secrets.ts";

/** What a docctl Logger hands consola: its tags and fields travel with each line. */
export interface DocctlLogObject extends LogObject {
  tags: readonly string[];
  fields: LogFields;
  /** the logger (tags + fields) the line came from: the repeat merger merges lines of one source only */
  source: object;
}

/** The entry a format reporter writes. */
export function entryOf(o: DocctlLogObject): LogEntry {
  return { date: o.date, level: kindLevel[o.type as LogKind] ?? "info", tags: o.tags ?? [], fields: o.fields ?? {}, msg: messageText(o.args ?? []) };
}

/** `--log-format json`: one JSON object per line onto `sink`. */
export function jsonReporter(sink: LogSink): ConsolaReporter {
  return { log: (o) => sink.write(jsonLine(entryOf(o as DocctlLogObject))) };
}

/** `--log-format pretty`: one readable line per entry onto `sink`. */
export function prettyReporter(sink: LogSink): ConsolaReporter {
  return { log: (o) => sink.write(prettyLine(entryOf(o as DocctlLogObject), sink.tty)) };
}

/** `inner` sees every line with URL credentials and `secrets` masked: in the message, the tags and the fields. */
export function maskingReporter(secrets: Secrets, inner: ConsolaReporter): ConsolaReporter {
  return {
    log(o, ctx) {
      const d = o as DocctlLogObject;
      const fields: LogFields = {};
      for (const [k, v] of Object.entries(d.fields ?? {})) fields[k] = typeof v === "string" ? secrets.mask(v) : v;
      inner.log({ ...d, args: [secrets.mask(messageText(d.args ?? []))], tags: (d.tags ?? []).map((t) => secrets.mask(t)), fields } as DocctlLogObject, ctx);
    },
  };
}

/**
 * Identical lines in a row from one logger reach `inner` once, then as "… repeated N more times" when
 * another line comes or the window ends (see repeats.ts). `flush()` writes a pending count now.
 */
export function repeatReporter(inner: ConsolaReporter, o: Partial<RepeatOptions> = {}): ConsolaReporter & { flush(): void } {
  let ctx: Parameters<ConsolaReporter["log"]>[1];
  const merger = new RepeatMerger(
    (_level, args, first) => {
      const f = first as DocctlLogObject;
      // the line itself as it came, or its summary now
      inner.log(args === f.args ? f : ({ ...f, args, date: new Date() } as DocctlLogObject), ctx);
    },
    { ...o, same: (a, b) => (a as DocctlLogObject).source === (b as DocctlLogObject).source },
  );
  return {
    log(lo, c) {
      ctx = c;
      merger.line(kindLevel[lo.type as LogKind] ?? lo.type, lo.args ?? [], lo);
    },
    flush: () => merger.flush(),
  };
}
