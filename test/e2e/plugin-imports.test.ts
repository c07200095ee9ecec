// Plugins under the compiled binary: npm packages from a node_modules beside the plugin directory, the
// binary's own "docctl" package (defineHandler), and broken plugins reported all at once with file:line:col.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, ROOT, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let worker: Background | undefined;
const dir = tempDir("docctl-plugin-imports-");

// htmlparser2 and what it imports, as `npm install htmlparser2` would lay them out in the user's project
const PACKAGES = ["htmlparser2", "domhandler", "domutils", "domelementtype", "entities", "dom-serializer"];

beforeAll(async () => {
  nats = await startNatsServer();
  const app = join(dir.path, "app");
  mkdirSync(join(app, "plugins"), { recursive: true });
  for (const p of PACKAGES) cpSync(join(ROOT, "node_modules", p), join(app, "node_modules", p), { recursive: true, dereference: true });
  writeFileSync(
    join(app, "plugins", "headings.ts"),
    `import { parseDocument, DomUtils } from "htmlparser2";
import { defineHandler } from "docctl";

export default defineHandler<{ html: string }, string[]>({
  description: "the text of every h1 and h2",
  schema: { type: "object", required: ["html"], properties: { html: { type: "string" } } },
  handle: ({ html }) => DomUtils.findAll((e) => e.name === "h1" || e.name === "h2", parseDocument(html).children).map((e) => DomUtils.textContent(e).trim()),
});
`,
  );
});

afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  dir.cleanup();
});

test("a plugin imports an npm package from the node_modules beside its directory, and defineHandler from the binary", async () => {
  worker = spawnDocctl(["worker", "--plugins", join(dir.path, "app", "plugins"), "-v"], { env: { DOCCTL_NATS_URL: nats.url } });
  await worker.waitFor(/pulling/);
  const job = JSON.stringify({ handler: "headings", payload: { html: "<h1>Title</h1><p>x</p><h2> Part <b>one</b></h2>" } });
  const r = await docctl(["submit", "-", "--json"], { env: { DOCCTL_NATS_URL: nats.url }, stdin: job });
  expect(r.stderr).toBe("");
  expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, value: ["Title", "Part one"] });
  await worker.stop();
  worker = undefined;
});

test("every broken plugin is listed, a syntax error with its file, line and column; the worker does not start", async () => {
  const plugins = join(dir.path, "broken");
  mkdirSync(plugins, { recursive: true });
  writeFileSync(join(plugins, "fine.ts"), `export default (p: unknown) => p;\n`);
  writeFileSync(join(plugins, "typo.ts"), `export default {\n  handle(x: number) { return x +; },\n};\n`);
  writeFileSync(join(plugins, "empty.ts"), `export const nothing = 1;\n`);
  writeFileSync(join(plugins, "missing.ts"), `import x from "no-such-package-anywhere";\nexport default x;\n`);
  const r = await docctl(["worker", "--plugins", plugins], { env: { DOCCTL_NATS_URL: nats.url }, timeoutMs: 30_000 });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("3 plugins cannot be loaded");
  expect(r.stderr).toContain(`${join(plugins, "typo.ts")}:2:33: syntax error: Unexpected ;`);
  expect(r.stderr).toContain("  handle(x: number) { return x +; },");
  expect(r.stderr).toContain(`${join(plugins, "empty.ts")}: must default-export a handler`);
  expect(r.stderr).toMatch(new RegExp(`${join(plugins, "missing.ts")}: the plugin failed to load: .*no-such-package-anywhere`));
  expect(r.stderr).not.toContain("fine.ts");
});
