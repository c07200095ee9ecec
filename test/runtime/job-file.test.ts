// The per-proc job file the watchdog reads: a start is in the file when started() returns, ends are
// written after that turn of the event loop, a stats report replaces the list; each job in flight has
// one fixed-size record, so the file stays as big as the most jobs in flight, whatever ran before.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JOB_RECORD_BYTES, JobFileReader, JobFileWriter } from "../../core/runtime/supervisor/job-file.ts";

const job = (id: string, startedAt: number) => ({ id, handler: "h", startedAt, timeoutMs: 1000, reply: `$JS.ACK.x.${id}`, delivery: 1, attempt: 1, maxAttempts: 3 });
const turn = () => new Promise<void>((r) => setImmediate(r));

describe("job file", () => {
  test("starts at once, ends after the turn, stats replace, too many keep the newest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "docctl-jobfile-"));
    const reader = new JobFileReader(join(dir, "p.job"));
    const writer = new JobFileWriter(reader.path);
    try {
      expect(reader.read()).toEqual([]);
      writer.started(job("a", 1));
      writer.started(job("b", 2));
      expect(reader.read().map((j) => j.id)).toEqual(["a", "b"]);
      expect(reader.read()[1]).toEqual(job("b", 2));
      writer.finished("a");
      writer.finished("b");
      expect(reader.read().map((j) => j.id)).toEqual(["a", "b"]); // not yet: after this turn
      writer.started(job("c", 3)); // a start writes what is in flight now, the ends included
      expect(reader.read().map((j) => j.id)).toEqual(["c"]);
      writer.finished("c");
      await turn();
      expect(reader.read()).toEqual([]);
      writer.write([job("d", 4), job("e", 5)]);
      expect(reader.read().map((j) => j.id)).toEqual(["d", "e"]);
      // many in flight: all of them, in the order they started
      const pad = "x".repeat(200);
      const many = Array.from({ length: 300 }, (_, i) => ({ ...job(`j${i}-${pad}`, 10 + i) }));
      writer.write([]);
      for (const j of many) writer.started(j);
      expect(reader.read().map((j) => j.id)).toEqual(many.map((j) => j.id));
      for (const j of many) writer.finished(j.id);
      await turn();
      expect(reader.read()).toEqual([]);
      // a job whose record cannot fit is left out; the others are read
      writer.started(job("y".repeat(JOB_RECORD_BYTES), 20));
      writer.started(job("z", 21));
      expect(reader.read().map((j) => j.id)).toEqual(["z"]);
    } finally {
      writer.close();
      reader.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a start reuses the slot of a job that ended, so the file does not grow with the jobs run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "docctl-jobfile-"));
    const reader = new JobFileReader(join(dir, "p.job"));
    const writer = new JobFileWriter(reader.path);
    try {
      for (let i = 0; i < 2000; i++) {
        writer.started(job(`k${i}`, i));
        if (i >= 2) writer.finished(`k${i - 2}`); // at most 3 in flight
        if (i % 7 === 0) await turn();
      }
      await turn();
      expect(reader.read().map((j) => j.id)).toEqual(["k1998", "k1999"]);
      expect(statSync(reader.path).size).toBeLessThanOrEqual(3 * JOB_RECORD_BYTES);
    } finally {
      writer.close();
      reader.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
