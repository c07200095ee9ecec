// The job a proc started last, in a small file per proc: written with one pwrite as each handler starts
// (about a microsecond, nobody woken), read by the supervisor only when the proc has gone silent. A
// handler that blocks the event loop from its first instruction is the last job started, so the
// watchdog knows it, its limit and its ack subject although no message could be sent. (A message per
// job over IPC did the same but woke the supervisor for every job: 15-20 % of the echo throughput.)
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProcStats } from "./ipc.ts";

type InFlight = ProcStats["inFlight"][number];

/** The environment variable that tells a proc where its job file is. */
export const JOB_FILE_ENV = "DOCCTL_JOB_FILE";

/** A fresh job-file path for a proc of this supervisor. */
export function jobFilePath(slot: string, n: number): string {
  return join(tmpdir(), `docctl-${process.pid}-${slot.replace(/[^A-Za-z0-9_-]/g, "_")}-${n}.job`);
}

/** The proc's side: overwrite the file with each job as it starts. */
export class JobFileWriter {
  #fd: number | null;
  constructor(path: string) {
    // r+: the supervisor made it; "w" would truncate what is there, which is nothing yet either way
    this.#fd = openSync(path, "r+");
  }
  write(job: InFlight): void {
    if (this.#fd === null) return;
    try {
      // newline-terminated: a shorter record over a longer one leaves old bytes after the newline
      writeSync(this.#fd, `${JSON.stringify(job)}\n`, 0);
    } catch {
      /* a full or vanished tmp dir: the watchdog then knows the job from the stats only */
    }
  }
  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}

/**
 * The supervisor's side. It creates the file and keeps it open; once the proc has opened it too (at
 * its ready) the name is removed, so a supervisor that is SIGKILLed leaves nothing behind in /tmp.
 */
export class JobFileReader {
  #fd: number | null;
  #path: string | null;
  constructor(readonly path: string) {
    this.#fd = openSync(path, "w+", 0o600);
    this.#path = path;
  }
  /** the proc has it open: the name is no longer needed */
  unlink(): void {
    if (this.#path) rmSync(this.#path, { force: true });
    this.#path = null;
  }
  /** the last job started, or undefined (nothing started yet, unreadable) */
  read(): InFlight | undefined {
    if (this.#fd === null) return undefined;
    try {
      const buf = Buffer.alloc(8192);
      const n = readSync(this.#fd, buf, 0, buf.length, 0);
      const line = buf.subarray(0, n).toString("utf8").split("\n")[0] ?? "";
      const j = JSON.parse(line) as InFlight;
      return j && typeof j.id === "string" && typeof j.startedAt === "number" ? j : undefined;
    } catch {
      return undefined;
    }
  }
  close(): void {
    this.unlink();
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
