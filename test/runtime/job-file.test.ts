// The per-proc job file the watchdog reads: a start is in the file when started() returns, ends are
// written after that turn of the event loop, a stats report replaces the list, and a list too long for
// the file keeps the jobs started last.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JOB_FILE_MAX_BYTES, JobFileReader, JobFileWriter } from "../../core/runtime/supervisor/job-file.ts";

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
      // more than the file holds: the newest starts are kept, and the file still parses
      const pad = "x".repeat(200);
      const many = Array.from({ length: Math.ceil(JOB_FILE_MAX_BYTES / 250) + 50 }, (_, i) => ({ ...job(`j${i}-${pad}`, 10 + i) }));
      for (const j of many) writer.started(j);
      const got = reader.read();
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(many.length);
      expect(got.at(-1)!.id).toBe(many.at(-1)!.id);
    } finally {
      writer.close();
      reader.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
