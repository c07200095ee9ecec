// The shape check of one part of a layout (keys, types, enums, required keys, bounds) against its
// TypeBox schema in types.ts, with ajv through protocol/schema.ts. Each problem is reported at its
// path below `p` ("fields[3]" + ".x"); the words come from the schema's `problem` templates.
import { checker, type Checker, type PathLabel } from "../../runtime/protocol/schema.ts";
import { CHECK_SCHEMAS } from "./types.ts";
import type { Add } from "./check.ts";

export type ShapeName = keyof typeof CHECK_SCHEMAS;

// Compiled on first use and kept: a process that never validates a layout never pays for it.
const checkers = new Map<ShapeName, Checker>();

/** Reports every shape problem of `v` as the part `name` at path `p`; true when it has none. */
export function checkShape(name: ShapeName, v: unknown, p: string, add: Add): boolean {
  let c = checkers.get(name);
  if (!c) checkers.set(name, (c = checker(CHECK_SCHEMAS[name])));
  if (c.check(v)) return true;
  // The templates read "{at}: what is wrong"; split there so `add` gets the path and the words.
  for (const line of c.problems(v, under(p))) {
    const cut = line.indexOf(": ");
    if (cut < 0) add(p, line);
    else add(line.slice(0, cut), line.slice(cut + 2));
  }
  return false;
}

/** Labels a path inside the part at `p`: `["x"]` under "fields[3]" → `fields[3].x`. */
export function under(p: string): PathLabel {
  return (path) => path.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${k}` : String(k)), p);
}
