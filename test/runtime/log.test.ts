// The CLI's logger (consola underneath, docctl's reporters): the two formats byte for byte, verbosity,
// child tags and fields, secrets registered on the logger's instance, and repeats merged per logger.
import { expect, test } from "bun:test";
import { createLogger, Secrets } from "../../core/runtime/util/log.ts";
import { jsonLine, prettyLine } from "../../core/runtime/util/log-format.ts";
import { fileSink, type LogSink } from "../../core/runtime/util/log-sink.ts";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A sink that keeps its lines (what stderr or the file would get). */
function lines(tty = false): LogSink & { out: string[] } {
  const out: string[] = [];
  return { out, tty, write: (l) => void out.push(l) };
}

const at = new Date("2026-12-07T22:55:01.234Z");

test("pretty: time, padded level, tags, fields other than worker/proc, message; coloured level only on a terminal", () => {
  const e = { date: at, level: "info" as const, tags: ["proc-1", "x"], fields: { worker: "w", proc: "proc-1", job_id: "j1", handler: "echo", n: 3 }, msg: "done in 5ms" };
  expect(prettyLine(e, false)).toBe("22:55:01.234 INFO  [proc-1] [x] job_id=j1 handler=echo n=3 done in 5ms\n");
  expect(prettyLine({ ...e, level: "warn", tags: [], fields: {} }, false)).toBe("22:55:01.234 WARN  done in 5ms\n");
  expect(prettyLine({ ...e, level: "error", tags: [], fields: {} }, true)).toBe("22:55:01.234 \x1b[31mERROR\x1b[0m done in 5ms\n");
});

test("JSON: time, a real level, fields as keys, tags joined, the message last", () => {
  const e = { date: at, level: "debug" as const, tags: ["proc-1", "x"], fields: { worker: "w", proc: "proc-1", job_id: "j1", gone: undefined }, msg: "acked" };
  expect(jsonLine(e)).toBe('{"time":"2026-12-07T22:55:01.234Z","level":"debug","worker":"w","proc":"proc-1","job_id":"j1","tag":"proc-1 x","msg":"acked"}\n');
  expect(jsonLine({ ...e, tags: [], fields: {} })).toBe('{"time":"2026-12-07T22:55:01.234Z","level":"debug","msg":"acked"}\n');
});

test("each -v adds a level: startup at 1, proc at 2, job and info at 3, debug at 4, trace at 5; errors and warnings always", () => {
  const kinds = ["error", "warn", "startup", "proc", "job", "info", "debug", "trace"] as const;
  const written = (v: number) => {
    const s = lines();
    const log = createLogger({ verbosity: v, format: "json", sink: s });
    for (const k of kinds) log[k](`${k} line`);
    return s.out.map((l) => JSON.parse(l) as { level: string; msg: string });
  };
  expect(written(0).map((l) => l.msg)).toEqual(["error line", "warn line"]);
  expect(written(2).map((l) => l.msg)).toEqual(["error line", "warn line", "startup line", "proc line"]);
  const all = written(5);
  expect(all.map((l) => l.level)).toEqual(["error", "warn", "info", "info", "info", "info", "debug", "trace"]);
  expect(createLogger({ verbosity: 3 }).verbosity).toBe(3);
});

test("a pretty line from createLogger is what the format says: tag of the logger, then a child's tag and fields", () => {
  const s = lines();
  const log = createLogger({ verbosity: 3, format: "pretty", sink: s, fields: { worker: "w1", proc: "proc-2" } }, "proc-2");
  log.child({ job_id: "j9", handler: "echo" }).job("done in", 12, "ms");
  log.child("limits").warn(new Error("slot lost"), { a: [1, 2] });
  expect(s.out[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  \[proc-2\] job_id=j9 handler=echo done in 12 ms\n$/);
  expect(s.out[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  \[proc-2\] \[limits\] slot lost \{ a: \[ 1, 2 \] \}\n$/);
});

test("secrets registered on the logger's instance are masked in messages, fields and tags, also after the logger was made", () => {
  const s = lines();
  const secrets = new Secrets();
  const log = createLogger({ verbosity: 3, format: "json", sink: s, secrets });
  secrets.add("hunter2-pass");
  log.child({ job_id: "x", note: "hunter2-pass" }).error("connect to nats://u:hunter2-pass@h:4222 failed:", new Error("bad hunter2-pass"));
  const line = JSON.parse(s.out[0]!) as Record<string, string>;
  expect(line.msg).toBe("connect to nats://***@h:4222 failed: bad ***");
  expect(line.note).toBe("***");
  expect(s.out.join("")).not.toContain("hunter2");
  // another tree does not know this one's secrets: nothing is process-wide
  const other = lines();
  createLogger({ verbosity: 0, sink: other }).error("hunter2-pass");
  expect(other.out[0]).toContain("hunter2-pass");
});

test("identical lines in a row from one logger are written once and counted; another logger's line is its own", () => {
  const s = lines();
  let now = 0;
  const log = createLogger({ verbosity: 3, format: "json", sink: s, repeats: { windowMs: 10_000, now: () => now } });
  for (let i = 0; i < 4; i++) {
    now = i * 100;
    log.warn("NATS did not answer;", "trying again");
  }
  log.child("other").warn("NATS did not answer;", "trying again");
  log.info("connected");
  const got = s.out.map((l) => JSON.parse(l) as Record<string, string | undefined>);
  expect(got.map((l) => [l.level, l.tag, l.msg])).toEqual([
    ["warn", undefined, "NATS did not answer; trying again"],
    ["warn", undefined, "… repeated 3 more times: NATS did not answer; trying again"],
    ["warn", "other", "NATS did not answer; trying again"],
    ["info", undefined, "connected"],
  ]);
  // repeats: false writes every line
  const all = lines();
  const plain = createLogger({ verbosity: 0, sink: all, repeats: false });
  plain.error("x");
  plain.error("x");
  expect(all.out).toHaveLength(2);
});

test("a file sink opens at its first line, and reopen() after a rotation writes to a new file at the path", () => {
  const dir = mkdtempSync(join(tmpdir(), "docctl-log-"));
  try {
    const path = join(dir, "w.log");
    const sink = fileSink(path);
    expect(existsSync(path)).toBe(false); // a command that logs nothing leaves no file
    const log = createLogger({ verbosity: 0, format: "json", sink, repeats: false });
    log.warn("before");
    renameSync(path, `${path}.1`);
    log.warn("still the old file until reopened");
    sink.reopen();
    log.warn("after");
    sink.close();
    const msgs = (p: string) => readFileSync(p, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs(`${path}.1`)).toEqual(["before", "still the old file until reopened"]);
    expect(msgs(path)).toEqual(["after"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
