// Imports point one way. Every folder of core (core/runtime/* one by one), cmd and plugins has a rank; a
// file may import its own folder and folders of a lower rank, never one of the same or a higher rank.
// Cross-folder imports name the file they need (no barrels): the only index.ts files in core are the
// package's entry points (package.json "exports": the library, its protocol and its renderer).
import { expect, test } from "bun:test";
import { tsFiles } from "../helpers/source-files.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

/** Folder → rank, lowest first. Folders are repo-relative; core/runtime/x counts as its own folder. */
export const RANK: Record<string, number> = {
  "core/runtime/protocol": 0,
  "core/runtime/util": 1,
  "core/runtime/nats": 2,
  "core/runtime/client": 3,
  "core/runtime/worker": 3,
  "core/render": 3,
  "core/runtime/supervisor": 4,
  "core/runtime/http": 4,
  "core/scaler": 5,
  "core/lib": 5,
  plugins: 6,
  cmd: 7,
};

/** Files outside the ranked folders that code may import (assets and the package manifest). */
const OUTSIDE_ALLOWED = [/^systemd\//, /^package\.json$/];

/** The package's entry points: the only barrels. */
export const ENTRY_POINTS = ["core/lib/index.ts", "core/runtime/protocol/index.ts", "core/render/index.ts"];

/** The ranked folder of a repo-relative path, or undefined when it is in none. */
export function folderOf(path: string): string | undefined {
  const p = path.split("/");
  if (p[0] === "core" && p[1] === "runtime") return p.length > 3 ? `core/runtime/${p[2]}` : undefined;
  if (p[0] === "core") return p.length > 2 ? `core/${p[1]}` : undefined;
  if (p[0] === "cmd" || p[0] === "plugins") return p[0];
  return undefined;
}

/** Every import in `imports` (repo-relative from → to) that points the wrong way or out of the ranked folders. */
export function layerViolations(imports: { from: string; to: string }[]): string[] {
  const bad: string[] = [];
  for (const { from, to } of imports) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === undefined || !(a in RANK)) {
      bad.push(`${from} is in no ranked folder (give ${a ?? dirname(from)} a rank in test/runtime/layers.test.ts)`);
      continue;
    }
    if (b === undefined || !(b in RANK)) {
      if (!OUTSIDE_ALLOWED.some((r) => r.test(to))) bad.push(`${from} imports ${to}, outside the ranked folders`);
      continue;
    }
    if (a === b) continue;
    if (RANK[b] >= RANK[a]) bad.push(`${from} imports ${to} (${a}, rank ${RANK[a]}, may not import ${b}, rank ${RANK[b]})`);
  }
  return bad;
}

/** The relative imports (import, export ... from, import()) of every .ts file in core, cmd and plugins. */
export function importsOfTree(): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  for (const top of ["core", "cmd", "plugins"]) {
    for (const file of tsFiles(join(ROOT, top))) {
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
        out.push({ from: relative(ROOT, file), to: relative(ROOT, resolve(dirname(file), m[1])) });
      }
    }
  }
  return out;
}

test("every folder of core, core/runtime, cmd and plugins has a rank", () => {
  const folders = [
    ...readdirSync(join(ROOT, "core/runtime"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `core/runtime/${e.name}`),
    ...readdirSync(join(ROOT, "core"), { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== "runtime").map((e) => `core/${e.name}`),
    "cmd",
    "plugins",
  ];
  expect(folders.filter((f) => !(f in RANK))).toEqual([]);
});

test("imports in core, cmd and plugins point one way", () => {
  const imports = importsOfTree();
  expect(imports.length).toBeGreaterThan(300); // the scan sees the tree
  expect(layerViolations(imports)).toEqual([]);
});

test("the checker catches an upward import: a file in runtime/util importing the scaler and the library", () => {
  const probe = [
    { from: "core/runtime/util/probe.ts", to: "core/scaler/manager.ts" },
    { from: "core/runtime/util/probe.ts", to: "core/lib/client.ts" },
    { from: "core/runtime/util/probe.ts", to: "core/runtime/protocol/codec.ts" },
  ];
  const bad = layerViolations(probe);
  expect(bad).toHaveLength(2);
  expect(bad[0]).toContain("core/runtime/util, rank 1, may not import core/scaler, rank 5");
  expect(bad[1]).toContain("may not import core/lib");
  // same rank both ways, and a way out of the ranked folders
  expect(layerViolations([{ from: "core/runtime/client/x.ts", to: "core/runtime/worker/loop.ts" }])).toHaveLength(1);
  expect(layerViolations([{ from: "core/render/x.ts", to: "test/helpers/nats.ts" }])).toHaveLength(1);
  expect(layerViolations([{ from: "cmd/x.ts", to: "core/runtime/util/log.ts" }])).toEqual([]);
});

test("the probe also fails as a real file: the scan reads what a planted file imports", () => {
  // the scan of the tree and the checker together, on a probe written beside the real files' shape
  const src = `import { Manager } from "../../scaler/manager.ts";\nimport { Client } from "../../lib/client.ts";\n`;
  const from = "core/runtime/util/probe.ts";
  const imports = [...src.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => ({ from, to: relative(ROOT, resolve(ROOT, dirname(from), m[1])) }));
  expect(imports.map((i) => i.to)).toEqual(["core/scaler/manager.ts", "core/lib/client.ts"]);
  expect(layerViolations(imports)).toHaveLength(2);
});

test("the only barrels in core are the package's entry points", () => {
  const barrels = [...tsFiles(join(ROOT, "core"))].map((f) => relative(ROOT, f)).filter((f) => f.endsWith("/index.ts"));
  expect(barrels.sort()).toEqual([...ENTRY_POINTS].sort());
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  for (const e of ENTRY_POINTS) {
    expect(existsSync(join(ROOT, e))).toBe(true);
    expect(JSON.stringify(pkg.exports)).toContain(e.replace(/\.ts$/, ".js"));
  }
});
