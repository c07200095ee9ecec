// The jobs a proc has in flight, in a small file per proc: rewritten with one pwrite as each handler
// starts and ends (microseconds, nobody woken), read by the supervisor only when the proc has gone
// silent or died. A handler that blocks the event loop from its first instruction stops all messages,
// so the file is how the watchdog knows it, its limit and its ack subject, and every job started with
// it (jobs fetched in one pull start in the same millisecond: the bystanders are handed back uncharged).
// It held only the last job started, and bystanders came back at the ack wait, charged an attempt.
// (A message per job over IPC did the same but woke the supervisor for every job: 15-20 % of the echo throughput.)
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

/** The largest job file read; a proc with more in flight than fits keeps the most recently started. */
export const JOB_FILE_MAX_BYTES = 256 * 1024;

/**
 * The proc's side: overwrite the file with the jobs in flight as each starts and ends. Each job is
 * serialized once, at its start (the whole list was serialized from the loop's stats twice per job:
 * at concurrency 64 that was a third of a proc's CPU per echo job, docs/benchmarks.md). A start is
 * written at once, before its handler can block the event loop; the ends of one turn of the event loop
 * are written together after it (a start written meanwhile includes them).
 */
export class JobFileWriter {
  #fd: number | null;
  #jobs: { id: string; text: string }[] = [];
  #later = false;
  constructor(path: string) {
    // r+: the supervisor made it; "w" would truncate what is there, which is nothing yet either way
    this.#fd = openSync(path, "r+");
  }
  /** the whole list (a stats report): what the proc has in flight, in the order they started */
  write(jobs: readonly InFlight[]): void {
    this.#jobs = jobs.map((j) => ({ id: j.id, text: JSON.stringify(j) }));
    this.#flush();
  }
  /** a job started: written before this returns */
  started(job: InFlight): void {
    this.#jobs.push({ id: job.id, text: JSON.stringify(job) });
    this.#flush();
  }
  /** job `id` ended: written after this turn of the event loop */
  finished(id: string): void {
    this.#jobs = this.#jobs.filter((j) => j.id !== id);
    if (this.#later) return;
    this.#later = true;
    setImmediate(() => this.#later && this.#flush());
  }
  #flush(): void {
    this.#later = false;
    if (this.#fd === null) return;
    try {
      let texts = this.#jobs.map((j) => j.text);
      let text = `[${texts.join(",")}]`;
      // the newest are the ones no stats could have named yet: keep them when the list is too long
      for (let keep = texts.length - 1; text.length + 1 > JOB_FILE_MAX_BYTES && keep > 0; keep = Math.floor(keep / 2)) {
        texts = texts.slice(-keep);
        text = `[${texts.join(",")}]`;
      }
      // newline-terminated: a shorter record over a longer one leaves old bytes after the newline
      writeSync(this.#fd, `${text}\n`, 0);
    } catch {
      /* a full or vanished tmp dir: the watchdog then knows the jobs from the stats only */
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
  /** the jobs in flight as the proc last wrote them (empty: nothing started yet, unreadable) */
  read(): InFlight[] {
    if (this.#fd === null) return [];
    try {
      const buf = Buffer.alloc(JOB_FILE_MAX_BYTES);
      const n = readSync(this.#fd, buf, 0, buf.length, 0);
      const line = buf.subarray(0, n).toString("utf8").split("\n")[0] ?? "";
      const v = JSON.parse(line) as unknown;
      const list = Array.isArray(v) ? v : [v];
      return list.filter((j): j is InFlight => Boolean(j) && typeof j.id === "string" && typeof j.startedAt === "number");
    } catch {
      // a line that is not JSON (cut short when the proc died mid-write): no jobs to read from it
      return [];
    }
  }
  close(): void {
    this.unlink();
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
