// The jobs a proc has in flight, in a small file per proc: one fixed-size record per job in flight,
// written with one pwrite as its handler starts (microseconds, nobody woken), read by the supervisor
// only when the proc has gone silent or died. A handler that blocks the event loop from its first
// instruction stops all messages, so the file is how the watchdog knows it, its limit and its ack
// subject, and every job started with it (jobs fetched in one pull start in the same millisecond: the
// bystanders are handed back uncharged). It held only the last job started, and bystanders came back
// at the ack wait, charged an attempt. (A message per job over IPC did the same but woke the supervisor
// for every job: 15-20 % of the echo throughput. Rewriting the whole in-flight list at each start was
// still a fifth of a proc's CPU per echo job at concurrency 64, docs/benchmarks.md.)
import { closeSync, fstatSync, openSync, readSync, rmSync, writeSync } from "node:fs";
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

/** The bytes of one record: `{"n":<start number>,"j":<job>}` padded with spaces, ending in a newline. */
export const JOB_RECORD_BYTES = 2048;

/** The largest job file read (records past it are not seen: 2048 jobs in flight in one proc). */
export const JOB_FILE_MAX_BYTES = 2048 * JOB_RECORD_BYTES;

/**
 * The proc's side: each job in flight has a record slot of JOB_RECORD_BYTES; a start writes its
 * record (one pwrite of a fixed size, whatever the number in flight), an end frees its slot, which
 * the next start takes over; an end whose slot no start took during that turn of the event loop is
 * blanked after it. A start first blanks the ends still pending, so the file is exact when it returns.
 */
export class JobFileWriter {
  #fd: number | null;
  /** the id in each slot (undefined: free) */
  #owner: (string | undefined)[] = [];
  /** free slots whose record is still in the file: taken first by a start, blanked after the turn */
  #stale: number[] = [];
  /** free and blank slots */
  #blank: number[] = [];
  #n = 0;
  #later = false;
  #buf = Buffer.alloc(JOB_RECORD_BYTES);
  constructor(path: string) {
    // r+: the supervisor made it; "w" would truncate what is there, which is nothing yet either way
    this.#fd = openSync(path, "r+");
  }
  /** the whole list (a stats report): what the proc has in flight, in the order they started */
  write(jobs: readonly InFlight[]): void {
    const slots = this.#owner.length;
    this.#owner = [];
    this.#stale = [];
    this.#blank = [];
    for (const j of jobs) this.#put(j);
    for (let s = this.#owner.length; s < slots; s++) this.#clear(s);
    this.#blank = Array.from({ length: Math.max(0, slots - this.#owner.length) }, (_, i) => slots - 1 - i);
  }
  /** a job started: written before this returns */
  started(job: InFlight): void {
    this.#put(job);
    // ends of this turn whose slot no start reused: blank now, so the file holds exactly what runs
    this.#sweep();
  }
  /** job `id` ended: its slot is reused by the next start, or blanked after this turn of the event loop */
  finished(id: string): void {
    const s = this.#owner.indexOf(id);
    if (s < 0) return;
    this.#owner[s] = undefined;
    this.#stale.push(s);
    if (this.#later) return;
    this.#later = true;
    setImmediate(() => this.#later && this.#sweep());
  }
  #put(job: InFlight): void {
    const s = this.#stale.pop() ?? this.#blank.pop() ?? this.#owner.length;
    this.#owner[s] = job.id;
    const n = ++this.#n;
    let text = JSON.stringify({ n, j: job });
    // a record that does not fit (ids and batches are at most a few hundred bytes): without its batch,
    // else left blank (the watchdog then knows that job from the stats only)
    if (Buffer.byteLength(text) >= JOB_RECORD_BYTES) text = JSON.stringify({ n, j: { ...job, batch: undefined } });
    if (Buffer.byteLength(text) >= JOB_RECORD_BYTES) text = "";
    this.#record(s, text);
  }
  #sweep(): void {
    this.#later = false;
    for (const s of this.#stale.splice(0)) {
      this.#clear(s);
      this.#blank.push(s);
    }
  }
  #clear(s: number): void {
    this.#record(s, "");
  }
  #record(s: number, text: string): void {
    if (this.#fd === null) return;
    try {
      const b = this.#buf;
      b.fill(0x20);
      b.write(text, 0, "utf8");
      b[JOB_RECORD_BYTES - 1] = 0x0a;
      writeSync(this.#fd, b, 0, JOB_RECORD_BYTES, s * JOB_RECORD_BYTES);
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
  /** the jobs in flight as the proc last wrote them, in the order they started (empty: nothing started yet, unreadable) */
  read(): InFlight[] {
    if (this.#fd === null) return [];
    try {
      const size = Math.min(fstatSync(this.#fd).size, JOB_FILE_MAX_BYTES);
      const buf = Buffer.alloc(size);
      const got = readSync(this.#fd, buf, 0, size, 0);
      const records: { n: number; j: InFlight }[] = [];
      for (const line of buf.subarray(0, got).toString("utf8").split("\n")) {
        const t = line.trim();
        if (!t) continue;
        try {
          const r = JSON.parse(t) as { n?: unknown; j?: InFlight };
          const j = r?.j;
          if (typeof r.n === "number" && j && typeof j.id === "string" && typeof j.startedAt === "number") records.push({ n: r.n, j });
        } catch {
          /* a record cut by a proc killed mid-write: the others still count */
        }
      }
      return records.sort((a, b) => a.n - b.n).map((r) => r.j);
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
