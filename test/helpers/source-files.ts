// The .ts files of a tree (node_modules left out), for tests that read the sources (layers, wire names).
import { readdirSync } from "node:fs";
import { join } from "node:path";

export function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules") yield* tsFiles(p);
    } else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) yield p;
  }
}
