// Identical log lines in a row are written once, then "… repeated N more times".
import { expect, test } from "bun:test";
import { RepeatMerger } from "../../core/runtime/util/repeats.ts";

function setup(windowMs = 10_000) {
  let now = 0;
  const out: string[] = [];
  const m = new RepeatMerger((level, args) => out.push(`${level} ${args.join(" ")}`), { windowMs, now: () => now });
  return { m, out, at: (t: number) => (now = t) };
}

test("a burst of one line is written once, and its count when another line comes", () => {
  const { m, out, at } = setup();
  for (let i = 0; i < 5; i++) {
    at(i * 100);
    m.line("warn", ["NATS did not answer;", "trying again"]);
  }
  at(600);
  m.line("info", ["connected"]);
  expect(out).toEqual(["warn NATS did not answer; trying again", "warn … repeated 4 more times: NATS did not answer; trying again", "info connected"]);
  m.flush();
  expect(out).toHaveLength(3); // nothing pending
});

test("the same text at another level, or a different text, is not merged; a single repeat says time", () => {
  const { m, out } = setup();
  m.line("warn", ["x"]);
  m.line("error", ["x"]);
  m.line("error", ["x"]);
  m.line("error", ["y"]);
  expect(out).toEqual(["warn x", "error x", "error … repeated 1 more time: x", "error y"]);
});

test("a line that never stops is summed up once per window, and errors compare by message", () => {
  const { m, out, at } = setup(1000);
  for (let t = 0; t <= 2500; t += 100) {
    at(t);
    m.line("error", [new Error("disk full")]);
  }
  m.flush();
  expect(out.filter((l) => l.startsWith("error … repeated"))).toEqual([
    "error … repeated 9 more times: disk full",
    "error … repeated 9 more times: disk full",
    "error … repeated 5 more times: disk full",
  ]);
  expect(out.filter((l) => !l.startsWith("error … repeated"))).toEqual(["error Error: disk full", "error Error: disk full", "error Error: disk full"]); // once per window
});
