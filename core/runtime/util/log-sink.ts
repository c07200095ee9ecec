// Where log lines end up: stderr, or a file (--log-file) that logrotate can move away (reopen on
// SIGUSR1, which the CLI wires). A file line is one synchronous write, so whatever was logged before a
// process exits (a FATAL start, process.exit right after an error) is not lost (test/runtime/log-exit.test.ts).
import { closeSync, openSync, writeSync } from "node:fs";

/** A destination for finished log lines (each ends in "\n"). */
export interface LogSink {
  write(line: string): void;
  /** whether the pretty format may colour its level names */
  readonly tty: boolean;
}

/** A sink that a rotation can move: `reopen()` opens the path anew, `close()` lets it go. */
export interface FileSink extends LogSink {
  reopen(): void;
  close(): void;
}

/**
 * Standard error through process.stderr, which the runtime writes at once and flushes before exit (a
 * raw writeSync on fd 2 would fight the supervisor's own forwarding of its procs' output for the pipe).
 */
export function stderrSink(): LogSink {
  return {
    write(line) {
      process.stderr.write(line);
    },
    tty: process.stderr.isTTY ?? false,
  };
}

/** Appends to `path`, opened at the first line (a command that logs nothing leaves no file). */
export function fileSink(path: string): FileSink {
  let fd: number | undefined;
  return {
    tty: false,
    write(line) {
      fd ??= openSync(path, "a");
      writeAll(fd, line);
    },
    reopen() {
      if (fd === undefined) return;
      const old = fd;
      fd = openSync(path, "a");
      closeSync(old);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

// writeSync may write part of a long line; the rest follows until all of it is out.
function writeAll(fd: number, line: string): void {
  const buf = Buffer.from(line);
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(fd, buf, off);
  } catch {
    // ENOSPC, EIO ...: a log line that cannot be written has nowhere to be reported, and logging
    // must never be what stops the program
  }
}
