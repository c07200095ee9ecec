// The job a proc started last, in a small file per proc: written with one pwrite as each handler starts
// (about a microsecond, nobody woken), read by the supervisor only when the proc has gone silent. A
// handler that blocks the event loop from its first instruction is the last job started, so the
// watchdog knows it, its limit and its ack subject although no message could be sent. (A message per
// job over IPC did the same but woke the supervisor for every job: 15-20 % of the echo throughput.)
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
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
    this.#fd = openSync(path, "w", 0o600);
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

/** The supervisor's side: the last job started, or undefined (no file, nothing started, unreadable). */
export function readJobFile(path: string): InFlight | undefined {
  try {
    const line = readFileSync(path, "utf8").split("\n")[0] ?? "";
    const j = JSON.parse(line) as InFlight;
    return j && typeof j.id === "string" && typeof j.startedAt === "number" ? j : undefined;
  } catch {
    return undefined;
  }
}

export function removeJobFile(path: string): void {
  rmSync(path, { force: true });
}
