// docs/config.md "Logs" states the two line formats and the repeat merger's window: its examples
// must be what the formatters write for the entry they show, and its window the default.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { jsonLine, prettyLine, type LogEntry } from "../../core/runtime/util/log-format.ts";
import { repeatDefaults } from "../../core/runtime/util/repeats.ts";

const doc = readFileSync(join(import.meta.dir, "../../docs/config.md"), "utf8");
const section = doc.slice(doc.indexOf("## Logs"), doc.indexOf("## Secrets"));
const blocks = [...section.matchAll(/```(?:json)?\n([^`]*?)\n```/g)].map((m) => m[1]!);

const entry: LogEntry = {
  date: new Date("2026-12-07T22:55:01.234Z"),
  level: "info",
  tags: ["proc-1"],
  fields: { worker: "w1", proc: "proc-1", job_id: "inv-42", handler: "pdf" },
  msg: "done in 87ms",
};

test("the pretty and JSON examples in docs/config.md are what the formatters write", () => {
  expect(blocks).toHaveLength(2);
  expect(`${blocks[0]}\n`).toBe(prettyLine(entry, false));
  expect(`${blocks[1]}\n`).toBe(jsonLine(entry));
});

test("the repeat window the docs state is the default", () => {
  expect(section).toContain("at the latest 10 s later");
  expect(section).toContain("once per 10 s");
  expect(repeatDefaults.windowMs).toBe(10_000);
});
