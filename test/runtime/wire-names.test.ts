// Every subject, stream, consumer and bucket name is built in core/runtime/protocol/subjects.ts (the wire
// contract, docs/protocol.md). Anywhere else in core, cmd and plugins, code (comments aside) naming a
// `docctl.` subject, a DOCCTL_ stream or bucket, or a task consumer's prefix fails this test.
import { expect, test } from "bun:test";
import { tsFiles } from "../helpers/source-files.ts";
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as subjects from "../../core/runtime/protocol/subjects.ts";

const ROOT = resolve(import.meta.dir, "../..");
const HOME = "core/runtime/protocol/subjects.ts";
const transpiler = new Bun.Transpiler({ loader: "ts" });

/** The stream and bucket names subjects.ts defines. */
const STORE_NAMES = Object.entries(subjects)
  .filter(([k, v]) => /^(STREAM|BUCKET)_/.test(k) && typeof v === "string")
  .map(([, v]) => v as string);

/** What in `code` (a file's source) names a wire name that should come from subjects.ts. */
export function wireLiterals(code: string): string[] {
  // comments and types go: what is left is code and its strings
  const js = transpiler.transformSync(code);
  const found: string[] = [];
  // a subject: a string or template starting "docctl." (docctl.toml is the config file, not a subject)
  for (const m of js.matchAll(/["'`](docctl\.(?!toml\b)[^"'`]*)/g)) found.push(m[1]);
  // a stream or bucket name as a string of its own (prose in messages and help may mention one)
  for (const m of js.matchAll(/["'`](DOCCTL_[A-Z_]+)["'`]/g)) if (STORE_NAMES.includes(m[1])) found.push(m[1]);
  // a constant that looks like a stream or bucket name defined outside subjects.ts
  for (const m of js.matchAll(/\b(?:const|let|var)\s+(\w*(?:STREAM|BUCKET)\w*)\s*=\s*["'`](DOCCTL_[A-Z_]+)/g)) found.push(`${m[1]} = ${m[2]}`);
  // the task consumers' name prefixes and the delayed mover's consumer
  for (const m of js.matchAll(/["'`](docctl(?:_high|_low)?-)["'`]|["'`](docctl_delayed)["'`]/g)) found.push(m[1] ?? m[2]);
  return found;
}

test("no wire name is written out outside protocol/subjects.ts", () => {
  const bad: string[] = [];
  let files = 0;
  for (const top of ["core", "cmd", "plugins"]) {
    for (const f of tsFiles(join(ROOT, top))) {
      const rel = relative(ROOT, f);
      if (rel === HOME) continue;
      files++;
      try {
        for (const w of wireLiterals(readFileSync(f, "utf8"))) bad.push(`${rel}: ${w}`);
      } catch (err) {
        bad.push(`${rel}: does not parse: ${(err as Error).message}`);
      }
    }
  }
  expect(files).toBeGreaterThan(150);
  expect(bad).toEqual([]);
});

test("the check catches each kind of written-out name, and passes comments and the builders", () => {
  expect(STORE_NAMES).toContain("DOCCTL_TASKS");
  expect(STORE_NAMES).toContain("DOCCTL_HANDLERS");
  expect(wireLiterals('const s = `docctl.results.${batch}.>`;')).toEqual(["docctl.results.${batch}.>"]);
  expect(wireLiterals(`sub("docctl.dead.>")`)).toEqual(["docctl.dead.>"]);
  expect(wireLiterals(`sub('docctl.tasks.' + h)`)).toEqual(["docctl.tasks."]);
  expect(wireLiterals('kv.open("DOCCTL_HANDLERS")')).toEqual(["DOCCTL_HANDLERS"]);
  expect(wireLiterals("jsm.streams.info(`DOCCTL_TASKS`)")).toEqual(["DOCCTL_TASKS"]);
  expect(wireLiterals('export const MY_BUCKET = "DOCCTL_SOMETHING_NEW";')).toEqual(["MY_BUCKET = DOCCTL_SOMETHING_NEW"]);
  expect(wireLiterals('name.startsWith("docctl_high-")')).toEqual(["docctl_high-"]);
  // comments, the config file, env variables and the builders pass
  expect(wireLiterals('// on docctl.tasks.<handler> in DOCCTL_TASKS\nconst f = "docctl.toml";\nconst e = process.env.DOCCTL_NATS_URL;\nconst s = taskSubject(h);')).toEqual([]);
});

test("the builders make the names docs/protocol.md states", () => {
  expect(subjects.taskSubject("echo")).toBe("docctl.tasks.echo");
  expect(subjects.prioritySubject("echo", "high")).toBe("docctl.tasks.echo.high");
  expect(subjects.TASK_STREAM_SUBJECTS).toEqual(["docctl.tasks.*", "docctl.tasks.*.high", "docctl.tasks.*.low", "docctl.delay.*", "docctl.schedule.*.*"]);
  expect(subjects.delaySubject("j1")).toBe("docctl.delay.j1");
  expect(subjects.scheduleSubject("nightly", 0)).toBe("docctl.schedule.nightly.0");
  expect(subjects.batchResults("b1")).toBe("docctl.results.b1.>");
  expect(subjects.resultOfAnyBatch("j1")).toBe("docctl.results.*.j1");
  expect(subjects.batchProgress("b1")).toBe("docctl.progress.b1.>");
  expect(subjects.deadLetters()).toBe("docctl.dead.>");
  expect(subjects.deadLetters("pdf")).toBe("docctl.dead.pdf");
  expect(subjects.TASK_CONSUMER_PREFIXES).toEqual(["docctl_high-", "docctl-", "docctl_low-"]);
  expect(subjects.controlAllSubject("*")).toBe("docctl.control.all.*");
  const doc = readFileSync(join(ROOT, "docs/protocol.md"), "utf8");
  expect(STORE_NAMES.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
});
