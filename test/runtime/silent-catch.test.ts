// No silent catch in core/: a catch that drops its error (`catch {`, `catch (_e) {`, `catch (err) {` that
// never reads err, `.catch(() => {})` or `.catch(() => null)` and the like) must say which case it handles and why dropping it is right, in a
// comment of a few words on its line, the line(s) just above, or the first line of its block. Handlers
// that log the error or check its class/code read it, and are not flagged.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { tsFiles } from "../helpers/source-files.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** A catch that drops its error: where, what kind, and whether a comment gives its reason. */
export interface SilentCatch {
  line: number;
  kind: "catch {}" | ".catch(() => {})" | ".catch(() => value)";
  reasoned: boolean;
}

// A comment that says something: three words at least (a lone "ignore" or "ok" is no reason).
const reasonIn = (s: string | undefined): boolean => {
  if (!s) return false;
  const m = s.match(/\/\/(.*)$|\/\*(.*?)(\*\/|$)/);
  const text = m ? (m[1] ?? m[2] ?? "") : "";
  return (text.match(/[A-Za-z]{2,}/g) ?? []).length >= 3;
};
const commentOnly = (s: string | undefined): boolean => s !== undefined && /^\s*(\/\/|\/\*|\*)/.test(s);

// The text of the block that opens at `open` (an index of "{"), braces in strings and comments aside (roughly).
function blockAt(code: string, open: number): string {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "/" && code[i + 1] === "/") i = code.indexOf("\n", i) === -1 ? code.length : code.indexOf("\n", i);
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return code.slice(open + 1, i);
  }
  return code.slice(open + 1);
}

/** Every catch in `code` that drops its error, with whether a comment gives the reason. Pure. */
export function silentCatches(code: string): SilentCatch[] {
  const lines = code.split("\n");
  const lineOf = (index: number) => code.slice(0, index).split("\n").length;
  const above = (ln: number) => {
    // the comment-only lines right above line `ln` (1-based)
    const out: string[] = [];
    for (let i = ln - 2; i >= 0 && commentOnly(lines[i]); i--) out.push(lines[i]!);
    return out;
  };
  const out: SilentCatch[] = [];
  for (const m of code.matchAll(/\bcatch\s*(?:\(\s*(\w+)\s*(?::\s*\w+\s*)?\))?\s*\{/g)) {
    const binding = m[1];
    const open = m.index! + m[0].length - 1;
    const body = blockAt(code, open);
    if (binding && !binding.startsWith("_") && new RegExp(`\\b${binding}\\b`).test(body)) continue; // it reads the error
    const ln = lineOf(m.index!);
    const first = body.split("\n").find((l) => l.trim() !== "");
    const reasoned = reasonIn(lines[ln - 1]) || reasonIn(first) || above(ln).some(reasonIn);
    out.push({ line: ln, kind: "catch {}", reasoned });
  }
  // a handler that ignores its error and returns nothing, or a stand-in value (null, [], false...)
  for (const m of code.matchAll(/\.catch\(\s*\(\s*(?:_\w*)?\s*\)\s*=>\s*(?:\{\s*\}|null|undefined|false|true|0|\[\]|void 0)\s*\)/g)) {
    const ln = lineOf(m.index!);
    const reasoned = reasonIn(lines[ln - 1]?.slice(lines[ln - 1]!.indexOf(".catch("))) || above(ln).some(reasonIn);
    out.push({ line: ln, kind: m[0].includes("{") ? ".catch(() => {})" : ".catch(() => value)", reasoned });
  }
  return out.sort((a, b) => a.line - b.line);
}

test("the checker finds catches that drop their error, and accepts a reason", () => {
  const code = [
    "try { a(); } catch {}", // 1: bare
    "try { a(); } catch {", // 2: reasoned inside
    "  // ENOENT: no pid file means no worker",
    "}",
    "try { a(); } catch (err) {", // 5: err never read
    "  return null;",
    "}",
    "try { a(); } catch (err) {", // 8: reads it: not silent
    "  log.debug(`x: ${(err as Error).message}`);",
    "}",
    "void p.catch(() => {});", // 11: bare
    "// the consumer is gone with its connection: nothing to delete",
    "await c.delete().catch(() => {});", // 13: reasoned above
    "await c.delete().catch(() => {}); // ok", // 14: too short a reason
    "try { a(); } catch (_e) { /* a foreign entry: not ours to show */ }", // 15: reasoned
    "const m = await get().catch(() => null);", // 16: a stand-in value, no reason
  ].join("\n");
  expect(silentCatches(code)).toEqual([
    { line: 1, kind: "catch {}", reasoned: false },
    { line: 2, kind: "catch {}", reasoned: true },
    { line: 5, kind: "catch {}", reasoned: false },
    { line: 11, kind: ".catch(() => {})", reasoned: false },
    { line: 13, kind: ".catch(() => {})", reasoned: true },
    { line: 14, kind: ".catch(() => {})", reasoned: false },
    { line: 15, kind: "catch {}", reasoned: true },
    { line: 16, kind: ".catch(() => value)", reasoned: false },
  ]);
});

test("no catch in core/ drops its error without a comment naming the case and why", () => {
  const bad: string[] = [];
  let sites = 0;
  for (const f of tsFiles(join(ROOT, "core"))) {
    const rel = relative(ROOT, f);
    const found = silentCatches(readFileSync(f, "utf8"));
    sites += found.length;
    for (const c of found) {
      if (!c.reasoned) bad.push(`${rel}:${c.line}: ${c.kind} with no reason given (handle the case by its class/code, log it at debug with the error, or say in a comment which case this is and why it is dropped)`);
    }
  }
  expect(sites).toBeGreaterThan(0); // the scan sees the tree
  expect(bad).toEqual([]);
});
