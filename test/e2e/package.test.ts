// The npm package as a user gets it: `npm pack`, install the tarball into a fresh project, then a script
// there starts an embedded Worker and submits with a Client, under node and under bun, and exits by itself.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT } from "../helpers/cli.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";

let ns: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let tarball = "";
let project = "";

async function run(cmd: string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}) {
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout, stderr, timedOut };
}

beforeAll(async () => {
  ns = await startNatsServer();
  dir = tempDir("docctl-package-");
  // prepack builds dist/pkg (bundles and declarations) first
  const pack = await run(["npm", "pack", "--pack-destination", dir.path, "--json"], ROOT, 120_000);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const info = JSON.parse(pack.stdout)[0] as { filename: string; files: { path: string }[] };
  tarball = join(dir.path, info.filename);
  files = info.files.map((f) => f.path);
  project = join(dir.path, "app");
  await Bun.write(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  // dependencies come from the registry; --prefer-offline reuses the npm cache the repo's own install filled
  const install = await run(["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball], project, 240_000);
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
  for (const f of ["smoke.mjs", "check.ts"]) copyFileSync(join(ROOT, "test/fixtures/package", f), join(project, f));
}, 400_000);

afterAll(async () => {
  await ns?.cleanup();
  dir?.cleanup();
});

let files: string[] = [];

test("the tarball is a few MiB of bundles and declarations, never the compiled binary", () => {
  expect(statSync(tarball).size).toBeLessThan(5 * 1024 * 1024);
  expect(files).toContain("dist/pkg/core/lib/index.js");
  expect(files).toContain("dist/pkg/core/lib/index.d.ts");
  expect(files).toContain("dist/pkg/core/runtime/protocol/index.js");
  expect(files).toContain("dist/pkg/core/render/index.js");
  expect(files.filter((f) => f === "dist/docctl" || f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
});

test("nothing the library entry point loads uses Bun's own API (it must run on Node)", () => {
  const pkg = join(project, "node_modules", "docctl", "dist", "pkg");
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, "utf8");
    expect({ file, bun: /\bBun\.[a-zA-Z]|from "bun"/.test(src) }).toEqual({ file, bun: false });
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+\.js)"/g)) visit(join(dirname(file), m[1]!));
  };
  visit(join(pkg, "core", "lib", "index.js"));
  visit(join(pkg, "core", "runtime", "protocol", "index.js"));
  expect(seen.size).toBeGreaterThan(1);
});

for (const runtime of ["node", "bun"] as const) {
  test(`under ${runtime}: an embedded Worker runs a job and a batch from a Client, results in input order, and the process exits by itself`, async () => {
    const exe = runtime === "node" ? "node" : join(ROOT, "node_modules/.bin/bun");
    const r = await run([exe, "smoke.mjs"], project, 60_000, { NATS_URL: ns.url });
    expect(r.timedOut).toBe(false); // a dangling timer or socket would keep it alive
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out).toEqual({
      runtime,
      one: { n: 12, square: 144, attempt: 1 },
      batch: 40,
      order: Array.from({ length: 40 }, (_, i) => i).join(","),
      state: "stopped",
    });
  });
}

test("the declarations type-check a user's code: typed payloads and results, a result union on ok", async () => {
  const tsc = join(ROOT, "node_modules/.bin/tsc");
  const args = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "esnext,dom", "--types", ""];
  const ok = await run([tsc, ...args, "check.ts"], project, 60_000);
  expect(ok.stdout + ok.stderr).toBe("");
  expect(ok.code).toBe(0);
  // and a type error is caught: reading value without checking ok
  writeFileSync(join(project, "wrong.ts"), `import { Client } from "docctl";\nexport const f = async (c: Client) => (await c.submit<{ a: number }>("x", {})).value.a;\n`);
  const bad = await run([tsc, ...args, "wrong.ts"], project, 60_000);
  expect(bad.code).not.toBe(0);
  expect(bad.stdout).toContain("possibly 'undefined'");
});
