// Imports inside core/runtime point one way: supervisor/http → client/worker → nats → util → protocol.
// A folder may import its own files and any folder of a lower rank, never one of the same or a higher rank.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const RUNTIME = resolve(import.meta.dir, "../../core/runtime");
const RANK: Record<string, number> = { protocol: 0, util: 1, nats: 2, client: 3, worker: 3, supervisor: 4, http: 4 };

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (p.endsWith(".ts")) yield p;
  }
}

const folderOf = (file: string) => relative(RUNTIME, file).split("/")[0];

/** Every import of one runtime folder that reaches a folder it may not. */
export function layerViolations(): string[] {
  const bad: string[] = [];
  for (const file of tsFiles(RUNTIME)) {
    const from = folderOf(file);
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = resolve(dirname(file), m[1]);
      if (!target.startsWith(RUNTIME + "/")) continue;
      const to = folderOf(target);
      if (to === from || !(from in RANK) || !(to in RANK)) continue;
      if (RANK[to] >= RANK[from]) bad.push(`${relative(RUNTIME, file)} imports ${relative(RUNTIME, target)} (${from} may not import ${to})`);
    }
  }
  return bad;
}

test("every runtime folder has a known rank", () => {
  const folders = readdirSync(RUNTIME, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  expect(folders.filter((f) => !(f in RANK))).toEqual([]);
});

test("imports inside core/runtime point one way", () => {
  expect(layerViolations()).toEqual([]);
});
