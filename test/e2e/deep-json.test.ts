// JSON nested 100 000 deep (a layout, a job file; valid or cut short) is refused with file:line:col,
// exit 2, before connecting: the recursive parsers used to fail with "Maximum call stack size exceeded".
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { docctl, ROOT } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { jsonNestingProblem } from "../../core/runtime/util/json-depth.ts";

const dir = tempDir("docctl-deep-json-");
afterAll(() => dir.cleanup());
const file = (name: string, body: string) => {
  const p = join(dir.path, name);
  writeFileSync(p, body);
  return p;
};
const deep = (n: number, close = n) => `{"fields": ${"[".repeat(n)}${"]".repeat(close)}}`;
// nothing listens there: the refusal must come before any connection
const env = { DOCCTL_NATS_URL: "nats://127.0.0.1:1" };

test("a 100k-deep layout, valid or cut short, is refused with its position (exit 2)", async () => {
  for (const [name, body] of [["valid.json", deep(100_000)], ["cut.json", deep(100_000, 99_999)]] as const) {
    const r = await docctl(["template", "put", "deep", join(ROOT, "examples/invoice/base.pdf"), "--layout", file(name, body)], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${name}:1:1011: nested deeper than 1000 levels`);
    expect(r.stderr).not.toContain("call stack");
  }
});

test("a 100k-deep job file is refused with its position (exit 2)", async () => {
  const r = await docctl(["submit", file("job.json", `{"handler": "echo", "payload": ${"[".repeat(100_000)}${"]".repeat(99_999)}}`)], { env });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/job\.json:1:\d+: nested deeper than 1000 levels/);
  expect(r.stderr).not.toContain("call stack");
});

test("jsonNestingProblem ignores brackets inside strings and counts lines", () => {
  expect(jsonNestingProblem(`{"a": "[[[[[[["}`, 2)).toBeNull();
  expect(jsonNestingProblem(`{"a": "\\"[[["}`, 2)).toBeNull();
  expect(jsonNestingProblem(`{\n "a": [[1]]}`, 2)).toEqual({ line: 2, col: 8, message: "nested deeper than 2 levels of arrays and objects; flatten the data" });
});
