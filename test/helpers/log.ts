// Loggers for tests: the real Logger (core/runtime/util/log.ts, consola underneath) with a reporter
// that keeps each line as text instead of writing it.
import { createLogger, type Logger } from "../../core/runtime/util/log.ts";
import { entryOf } from "../../core/runtime/util/log-reporters.ts";
import type { LogEntry } from "../../core/runtime/util/log-format.ts";

/** A Logger at `verbosity` (default: everything) whose lines are kept in `lines`, as `show` formats them (default `<level> <message>`). */
export function captureLogger(o: { verbosity?: number; echo?: boolean; show?: (e: LogEntry) => string } = {}): Logger & { lines: string[] } {
  const lines: string[] = [];
  const show = o.show ?? ((e) => `${e.level} ${e.msg}`);
  const log = createLogger({
    verbosity: o.verbosity ?? 5,
    repeats: false,
    reporter: {
      log(obj) {
        const s = show(entryOf(obj));
        lines.push(s);
        if (o.echo) console.log(s);
      },
    },
  });
  return Object.assign(log, { lines });
}
