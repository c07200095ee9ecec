// Lines logged right before a process exits are not lost: each is one synchronous write, to a file
// and to a stderr pipe alike (the reader here is slower than the writer).
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/tmp.ts";

test("a process that logs 500 lines and a 256 KiB line, then exits at once, loses none of them", async () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, "exit.log");
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../fixtures/log-then-exit.ts"), file, "500"], { stdout: "ignore", stderr: "pipe" });
    const stderr = await new Response(proc.stderr).text();
    expect(await proc.exited).toBe(3);
    const json = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(json).toHaveLength(501);
    expect(json[499]!.msg).toBe("line 499");
    expect(json[500]!.msg.endsWith(" end")).toBe(true);
    expect(json[500]!.msg.length).toBe(256 * 1024 + 8);
    const pretty = stderr.split("\n").filter(Boolean);
    expect(pretty).toHaveLength(502);
    expect(pretty[499]).toMatch(/ INFO  line 499$/);
    expect(pretty[500]!.endsWith(" end")).toBe(true);
    expect(pretty[501]).toMatch(/ ERROR FATAL: exiting now$/);
  } finally {
    dir.cleanup();
  }
}, 60_000);
