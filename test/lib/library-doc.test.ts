// docs/library.md is the package's API as its declarations say it: every export of `docctl` has JSDoc,
// every optional field of an options interface a @defaultValue, and the page is what
// scripts/library-doc.ts generates from the .d.ts (so it cannot drift from the types).
import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";

test("docs/library.md matches the declarations; every export documented, every option with its default", async () => {
  const bun = join(ROOT, "node_modules/.bin/bun");
  const proc = Bun.spawn([bun, "scripts/library-doc.ts", "--emit", "--check"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  expect(err.split("\n").filter((l) => l.startsWith("library-doc:"))).toEqual([]);
  expect(code).toBe(0);
  expect(out).toBe("");
}, 180_000);
