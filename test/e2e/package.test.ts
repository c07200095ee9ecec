// The npm package as a user gets it: `npm pack`, install the tarball into a fresh project (the queue
// only: the render stack is optional), then scripts there start an embedded Worker, submit with a
// Client and produce every error class, under node and under bun; tsc checks a typed client and
// fixtures that must not compile, with skipLibCheck false and no @types/node.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT } from "../helpers/cli.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";

let ns: NatsServerHandle;
let authNs: NatsServerHandle;
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
  authNs = await startNatsServer({ config: "authorization { users = [ { user: app, password: right } ] }" });
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
  cpSync(join(ROOT, "test/fixtures/package"), project, { recursive: true });
}, 400_000);

afterAll(async () => {
  await ns?.cleanup();
  await authNs?.cleanup();
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

// Bytes of files under `path` (symlinks not followed), as `du` would count them, and the packages installed.
function footprint(path: string): { bytes: number; packages: string[] } {
  let bytes = 0;
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else bytes += st.size;
  };
  walk(path);
  const packages: string[] = [];
  for (const e of readdirSync(path)) {
    if (e.startsWith(".")) continue;
    if (e.startsWith("@")) for (const s of readdirSync(join(path, e))) packages.push(`${e}/${s}`);
    else packages.push(e);
  }
  return { bytes, packages: packages.sort() };
}

test("npm i docctl installs the queue only: NATS, msgpack, a schema validator; no render stack; at most 20 MB", () => {
  const { bytes, packages } = footprint(join(project, "node_modules"));
  console.log(`queue-only install: ${packages.length} packages, ${(bytes / 1024 / 1024).toFixed(1)} MiB (${packages.join(" ")})`);
  expect(bytes).toBeLessThanOrEqual(20 * 1024 * 1024);
  expect(packages).toContain("docctl");
  expect(packages).toContain("@nats-io/transport-node");
  expect(packages).toContain("@msgpack/msgpack");
  expect(packages).toContain("ajv");
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
    devDependencies: Record<string, string>;
    dependencies: Record<string, string>;
  };
  // every peer (the render stack, whoever adds to it) is optional, not installed, and a devDependency (npm ci and the binary have it)
  for (const [peer, version] of Object.entries(pkg.peerDependencies)) {
    const seen: Record<string, unknown> = { peer, optional: pkg.peerDependenciesMeta[peer]?.optional, dev: pkg.devDependencies[peer], dependency: pkg.dependencies[peer] ?? null, installed: packages.includes(peer) };
    expect(seen).toEqual({
      peer,
      optional: true,
      dev: version,
      dependency: null,
      installed: false,
    });
  }
  for (const heavy of ["pdf-lib", "@pdf-lib/fontkit", "playwright-core", "bwip-js", "harfbuzzjs", "mustache", "bidi-js", "uqr"]) {
    expect({ heavy, installed: packages.includes(heavy) }).toEqual({ heavy, installed: false });
    // every render package is an optional peer (also a devDependency, so the repo's npm ci has it)
    expect({ heavy, optional: pkg.peerDependenciesMeta[heavy]?.optional === true && heavy in pkg.peerDependencies }).toEqual({ heavy, optional: true });
  }
  expect(existsSync(join(project, "node_modules", "pdf-lib"))).toBe(false);
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

  test(`under ${runtime}: each error class is thrown for real and caught by instanceof and code; docctl/render without its packages says what to install`, async () => {
    const exe = runtime === "node" ? "node" : join(ROOT, "node_modules/.bin/bun");
    const env = { NATS_URL: ns.url, NATS_AUTH_URL: authNs.url, NATS_DEAD_URL: `nats://127.0.0.1:${await freePort()}` };
    const r = await run([exe, "errors.mjs"], project, 90_000, env);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({
      runtime,
      seen: {
        NatsUnreachableError: "NATS_UNREACHABLE",
        AuthError: "AUTH",
        ConfigError: "CONFIG",
        InputError: "INPUT",
        JobFailedError: "JOB_FAILED",
        ResultTimeoutError: "RESULT_TIMEOUT",
        CancelledError: "CANCELLED",
        DocctlError: "CLOSED",
      },
    });
    // the message a user sees importing docctl/render with the queue-only install
    const msg = await run([exe, "--input-type=module", "-e", 'import("docctl/render").catch((e) => console.log(e.name, e.message))'].filter((a) => runtime === "node" || a !== "--input-type=module"), project, 30_000);
    expect(msg.stdout).toContain("ConfigError docctl/render needs the render packages");
    // the install line names every render package at the version the package wants
    const peers = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { peerDependencies: Record<string, string> }).peerDependencies;
    expect(msg.stdout).toContain("Install them: npm i ");
    for (const [name, version] of Object.entries(peers)) expect(msg.stdout).toContain(` ${name}@${version}`);
  });
}

// strict, nodenext, the default lib of es2022 (the TS2550 of nats.js's Symbol.asyncDispose are answered by the
// package), skipLibCheck false, no @types/node: what a team's fresh tsconfig has
const TSC_ARGS = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "", "--skipLibCheck", "false"];

test("the declarations type-check a typed client, an untyped one and the error union, with skipLibCheck false and no @types/node", async () => {
  const tsc = join(ROOT, "node_modules/.bin/tsc");
  expect(existsSync(join(project, "node_modules", "@types", "node"))).toBe(false);
  const ok = await run([tsc, ...TSC_ARGS, "typed.ts", "check.ts"], project, 120_000);
  expect(ok.stdout + ok.stderr).toBe("");
  expect(ok.code).toBe(0);
});

// Each fixture under fail/ must not compile, with the error its first line names.
const MUST_FAIL = readdirSync(join(ROOT, "test/fixtures/package/fail")).filter((f) => f.endsWith(".ts")).sort();
test.each(MUST_FAIL)("must not compile: fail/%s", async (file) => {
  const tsc = join(ROOT, "node_modules/.bin/tsc");
  const head = readFileSync(join(ROOT, "test/fixtures/package/fail", file), "utf8").split("\n")[0]!;
  const code = /\((TS\d+)/.exec(head)?.[1];
  expect(code).toBeDefined();
  const r = await run([tsc, ...TSC_ARGS, `fail/${file}`], project, 120_000);
  expect(r.code).not.toBe(0);
  // the error is in the fixture itself, not in a declaration file of the package
  expect(r.stdout).toContain(`fail/${file}(`);
  expect(r.stdout).toContain(`error ${code}`);
  expect(r.stdout).not.toContain("node_modules/");
});
