// Plugins you can debug, through the compiled binary: a handler's stack (its own file:line) in the worker
// log at -vv and in the dead letter; an error thrown while a plugin loads at file:line:column; a plugin
// named like a built-in needs `override: true` (and is logged); two files of one job type are named.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let worker: Background | undefined;
const dir = tempDir("docctl-plugin-debug-");
const env = () => ({ DOCCTL_NATS_URL: nats.url });

function plugins(name: string, files: Record<string, string>): string {
  const p = join(dir.path, name);
  mkdirSync(p, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(p, f), text);
  return p;
}

beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  dir.cleanup();
});

test("a handler throwing three calls deep: its stack with the plugin's file:line in the worker log at -vv and in the dead letter", async () => {
  const p = plugins("deep", {
    "deep.ts": `import { defineHandler } from "docctl";

function third(n: number): number {
  throw new Error(\`kaboom at depth \${n}\`);
}
function second(n: number) {
  // not \`return third(n + 1)\`: JavaScriptCore drops the frames of tail calls (and Bun folds \`const r = f(); return r\` into one)
  const r = third(n + 1) * 1;
  return r;
}
function first(n: number) {
  const r = second(n + 1) * 1;
  return r;
}

export default defineHandler<{ n: number }, number>({
  maxAttempts: 1,
  handle: ({ n }) => first(n),
});
`,
  });
  worker = spawnDocctl(["worker", "--procs", "0", "--plugins", p, "-vv"], { env: env() });
  await worker.waitFor(/pulling|started|ready/i, 30_000);
  const r = await docctl(["submit", "-", "--json"], { env: env(), stdin: JSON.stringify({ handler: "deep", id: "deep-1", payload: { n: 1 } }) });
  expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: "HANDLER_ERROR", message: "kaboom at depth 3" } });
  const file = join(p, "deep.ts");
  await worker.waitFor(/handler threw HANDLER_ERROR: kaboom at depth 3/);
  const log = worker.output();
  // the three frames, at their lines in the .ts source (Bun maps them), no docctl frames
  expect(log).toContain(`at third (${file}:4:`);
  expect(log).toContain(`at second (${file}:8:`);
  expect(log).toContain(`at first (${file}:12:`);
  expect(log).not.toMatch(/\$bunfs|core\/runtime/);
  const dead = JSON.parse((await docctl(["dead", "ls", "--json"], { env: env() })).stdout) as { job: { id: string }; stack?: string }[];
  const letter = dead.find((d) => d.job?.id === "deep-1");
  expect(letter?.stack).toContain(`at third (${file}:4:`);
  expect(letter?.stack).toContain(`at first (${file}:12:`);
  const text = await docctl(["dead", "ls"], { env: env() });
  expect(text.stdout).toContain(`${file}:8:`);
  await worker.stop();
  worker = undefined;
});

test("without -vv the stack is not in the log (it is in the dead letter)", async () => {
  const p = plugins("quiet", { "quiet.ts": `export default { maxAttempts: 1, handle() { throw new Error("nope"); } };\n` });
  worker = spawnDocctl(["worker", "--procs", "0", "--plugins", p, "-v"], { env: env() });
  await worker.waitFor(/pulling|started|ready/i, 30_000);
  await docctl(["submit", "-", "--json"], { env: env(), stdin: JSON.stringify({ handler: "quiet", payload: {} }) });
  await worker.waitFor(/failed for good/);
  expect(worker.output()).not.toContain("handler threw");
  await worker.stop();
  worker = undefined;
});

test("an error thrown while a plugin loads names its file:line:column, not just 'JSON Parse error'", async () => {
  const p = plugins("loadfail", {
    "conf.ts": `import { readFileSync } from "node:fs";
const here = new URL(".", import.meta.url).pathname;
const settings = JSON.parse(readFileSync(here + "empty.json", "utf8"));
export default { handle: () => settings };
`,
    "empty.json": "",
  });
  const r = await docctl(["worker", "--procs", "0", "--plugins", p], { env: env(), timeoutMs: 30_000 });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`${join(p, "conf.ts").replaceAll("/", "\\/")}:3:\\d+: the plugin threw while loading: JSON Parse error`));
});

test("a plugin named like a built-in is refused without override: true, and logged with it", async () => {
  const refused = plugins("shadow", { "echo.ts": `export default (p: unknown) => ({ mine: p });\n` });
  const r = await docctl(["worker", "--procs", "0", "--plugins", refused], { env: env(), timeoutMs: 30_000 });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${join(refused, "echo.ts")}: "echo" is a built-in handler; a plugin replaces it only when its definition says \`override: true\``);

  const allowed = plugins("override", { "echo.ts": `export default { override: true, handle: (p: unknown) => ({ mine: p }) };\n` });
  worker = spawnDocctl(["worker", "--procs", "0", "--plugins", allowed], { env: env() });
  await worker.waitFor(/replaces the built-in handler "echo"/, 30_000);
  expect(worker.output()).toContain(`plugin ${join(allowed, "echo.ts")} replaces the built-in handler "echo" (it says override: true)`);
  const out = await docctl(["submit", "-", "--json"], { env: env(), stdin: JSON.stringify({ handler: "echo", payload: 5 }) });
  expect(JSON.parse(out.stdout)).toMatchObject({ ok: true, value: { mine: 5 } });
  await worker.stop();
  worker = undefined;
});

test("two files of one job type (ok.ts and ok.js) are named, both", async () => {
  const p = plugins("twice", { "ok.ts": `export default () => 1;\n`, "ok.js": `export default () => 2;\n` });
  const r = await docctl(["worker", "--procs", "0", "--plugins", p], { env: env(), timeoutMs: 30_000 });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`job type "ok" has 2 files: ${join(p, "ok.js")} and ${join(p, "ok.ts")}; keep one`);
  expect(r.stderr).not.toContain(`in both ${p} and ${p}`);
});
