// docs/library.md from the package's declarations: every export of `docctl` with its JSDoc, and for
// each options interface its fields with their types and `@defaultValue`. Also the check the test
// runs (`bun scripts/library-doc.ts --check`): every export has JSDoc, every optional field of an
// options interface has a @defaultValue, and docs/library.md is what this script writes.
// Reads the .d.ts that scripts/build-package.sh emits (dist/pkg); `--emit` runs tsc for them first.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const PKG = join(ROOT, "dist/pkg");
const OUT = join(ROOT, "docs/library.md");

interface Member {
  name: string;
  optional: boolean;
  type: string;
  doc: string;
  defaultValue?: string;
}
interface Decl {
  name: string;
  kind: string;
  doc: string;
  signature: string;
  members: Member[];
  file: string;
}

const files = new Map<string, string>();
const read = (f: string) => {
  if (!files.has(f)) files.set(f, readFileSync(f, "utf8"));
  return files.get(f)!;
};

// JSDoc text: the comment's lines without the stars; tags kept apart.
function docOf(comment: string | undefined): { text: string; defaultValue?: string } {
  if (!comment) return { text: "" };
  const lines = comment
    .trim()
    .replace(/^\/\*\*|\*\/$/g, "")
    .split("\n")
    .map((l) => l.replace(/^\s*\* ?/, "").trimEnd());
  const text: string[] = [];
  let defaultValue: string | undefined;
  for (const l of lines) {
    const m = /^@defaultValue\s*(.*)$/.exec(l.trim());
    if (m) defaultValue = m[1]!;
    else if (!l.trim().startsWith("@")) text.push(l.trim());
  }
  return { text: text.join(" ").replace(/\s+/g, " ").trim(), defaultValue };
}

// Where `name` is declared, following `export { a as b } from`, `export type {..} from` and `export *`.
function find(name: string, file: string, seen = new Set<string>()): Decl | undefined {
  if (seen.has(`${file}#${name}`)) return undefined;
  seen.add(`${file}#${name}`);
  const src = read(file);
  const decl = declIn(name, src, file);
  if (decl) return decl;
  for (const m of src.matchAll(/export (?:type )?\{([^}]*)\} from "([^"]+)"/g)) {
    for (const part of m[1]!.split(",").map((s) => s.trim().replace(/^type /, "")).filter(Boolean)) {
      const [orig, alias] = part.split(/\s+as\s+/);
      if ((alias ?? orig) === name) {
        const d = find(orig!, resolveJs(file, m[2]!), seen);
        return d ? { ...d, name } : undefined;
      }
    }
  }
  for (const m of src.matchAll(/export \* from "([^"]+)"/g)) {
    const d = find(name, resolveJs(file, m[1]!), seen);
    if (d) return d;
  }
  return undefined;
}

const resolveJs = (from: string, spec: string) => join(dirname(from), spec.replace(/\.js$/, ".d.ts"));

function declIn(name: string, src: string, file: string): Decl | undefined {
  const re = new RegExp(`(/\\*\\*(?:(?!\\*/)[\\s\\S])*\\*/\\s*)?export (?:declare )?(class|interface|type|function|const|abstract class) ${name}\\b([^\\n]*)`, "g");
  const m = re.exec(src);
  if (!m) return undefined;
  const kind = m[2]!;
  const doc = docOf(m[1]?.trim()).text;
  let signature = `${kind} ${name}${m[3]!.replace(/\{$/, "").replace(/;$/, "")}`.trim();
  let members: Member[] = [];
  if (kind === "interface" || kind === "class") members = membersAt(src, m.index + m[0].length);
  // A wire type derived from its TypeBox schema (`type JobV1 = Static<typeof JobSchema>`): its members
  // are the schema's properties, read from the schema's declaration in the same file.
  const derived = kind === "type" ? /=\s*Static<typeof (\w+)>/.exec(m[3]!) : null;
  if (derived) {
    const sm = new RegExp(`export declare const ${derived[1]}: import\\("@sinclair/typebox"\\)\\.TObject<\\{`).exec(src);
    if (sm) {
      members = membersAt(src, sm.index + sm[0].length).map((x) => {
        const t = x.type.replace(/import\("@sinclair\/typebox"\)\./g, "");
        const opt = /^TOptional<([\s\S]*)>$/.exec(t);
        return { ...x, optional: x.optional || Boolean(opt), type: typeboxType(opt ? opt[1]! : t) };
      });
    }
  }
  if (kind === "type") signature = signature.replace(/\s+/g, " ");
  return { name, kind, doc, signature, members, file };
}

/** The members of the interface, class or object type whose body starts at `start` (after its "{"). */
function membersAt(src: string, start: number): Member[] {
  const members: Member[] = [];
    // the body: lines at depth 1 until the closing brace
    let depth = 1;
    let i = start;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === "{") depth++;
      else if (src[i] === "}") depth--;
    }
    const body = src.slice(start, i - 1);
    let pending: string | undefined;
    let d = 0;
    let buf = "";
    for (const line of body.split("\n")) {
      const t = line.trim();
      if (d === 0 && t.startsWith("/**")) {
        pending = t;
        if (!t.endsWith("*/")) pending += "\n";
        continue;
      }
      if (pending !== undefined && !pending.trimEnd().endsWith("*/")) {
        pending += `${t}\n`;
        continue;
      }
      buf += (buf ? " " : "") + t;
      for (const ch of t) d += ch === "{" || ch === "(" || ch === "<" ? 1 : ch === "}" || ch === ")" || ch === ">" ? -1 : 0;
      if (d > 0) continue;
      d = 0;
      const mm = /^(?:readonly |private |protected |static |get |set )*([A-Za-z_$][\w$]*)(\?)?\s*([:(<].*)$/.exec(buf);
      if (mm && !/^(private|protected)\b/.test(buf) && !buf.startsWith("#")) {
        const doc = docOf(pending);
        members.push({ name: mm[1]!, optional: Boolean(mm[2]), type: mm[3]!.replace(/^:\s*/, "").replace(/;$/, ""), doc: doc.text, defaultValue: doc.defaultValue });
      }
      pending = undefined;
      buf = "";
    }
    return members;
}

/** A TypeBox schema type written as the TypeScript type it gives (`TArray<TString>` → `string[]`). */
function typeboxType(t: string): string {
  const simple: Record<string, string> = { TString: "string", TNumber: "number", TInteger: "number", TBoolean: "boolean", TUnknown: "unknown", TNull: "null", TAny: "any" };
  let s = t.replace(/\/\*\*[\s\S]*?\*\//g, "").replace(/\s+/g, " ").replace(/(\w+): (?=TOptional<)/g, "$1?: ");
  // innermost generic first, until none is left; « » stand for < > of what is already TypeScript
  for (let guard = 0; guard < 2000; guard++) {
    const g = /\b(T[A-Z]\w*)<([^<>]*)>/.exec(s);
    if (!g) break;
    const [all, name, arg] = g;
    const a = arg!.trim();
    const out =
      name === "TArray" ? (/^[\w".]+$/.test(a) ? `${a}[]` : `(${a})[]`)
      : name === "TUnion" ? a.replace(/^\[|\]$/g, "").split(/,\s*/).join(" | ")
      : name === "TRecord" ? `Record«${a}»`
      : name === "TObject" ? a
      : a; // TOptional, TLiteral, TUnsafe, TReadonly ...
    s = s.slice(0, g.index) + out + s.slice(g.index + all.length);
  }
  return s.replace(/\b(T[A-Z]\w*)\b/g, (w) => simple[w] ?? w).replace(/«/g, "<").replace(/»/g, ">");
}

/** The names `docctl` exports, in the order of core/lib/index.d.ts (wire types last). */
function exportsOf(index: string): string[] {
  const src = read(index);
  const names: string[] = [];
  for (const m of src.matchAll(/export (?:type )?\{([^}]*)\} from "([^"]+)"/g)) {
    for (const part of m[1]!.split(",").map((s) => s.trim().replace(/^type /, "")).filter(Boolean)) names.push(part.split(/\s+as\s+/).pop()!);
  }
  for (const m of src.matchAll(/export \* from "([^"]+)"/g)) {
    const sub = resolveJs(index, m[1]!);
    for (const n of exportsOf(sub)) names.push(n);
  }
  return [...new Set(names)];
}

const OPTIONS = (d: Decl) => d.kind === "interface" && (/Options$/.test(d.name) || ["ChainStep", "ThenStep", "NatsTarget", "NatsAuth"].includes(d.name));

export function build(): { markdown: string; problems: string[] } {
  const index = join(PKG, "core/lib/index.d.ts");
  if (!existsSync(index)) throw new Error(`${index} is missing: run scripts/build-package.sh (or this script with --emit) first`);
  const problems: string[] = [];
  const decls: Decl[] = [];
  for (const name of exportsOf(index)) {
    const d = find(name, index);
    if (!d) {
      problems.push(`${name}: exported but its declaration was not found`);
      continue;
    }
    if (!d.doc) problems.push(`${name} (${d.file.replace(`${PKG}/`, "")}): no JSDoc`);
    if (OPTIONS(d)) for (const m of d.members) if (m.optional && m.defaultValue === undefined && !/^on[A-Z]/.test(m.name)) problems.push(`${name}.${m.name}: an option without @defaultValue`);
    decls.push(d);
  }
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const out: string[] = [
    "# The docctl library (API)",
    "",
    "<!-- Generated by scripts/library-doc.ts from the package's declarations (dist/pkg/**/*.d.ts): do not edit;",
    "     run `bash scripts/build-package.sh && node_modules/.bin/bun scripts/library-doc.ts`. test/lib/library-doc.test.ts checks it. -->",
    "",
    "Everything `import ... from \"docctl\"` gives, in the order of `core/lib/index.ts`. The README's",
    "[From code](../README.md#from-code) shows them at work; errors are described under `DocctlError`.",
    "",
  ];
  for (const d of decls) {
    out.push(`## ${d.name}`, "", "```ts", d.signature.length > 300 ? `${d.signature.slice(0, 300)} …` : d.signature, "```", "", d.doc || "(undocumented)", "");
    const shown = d.members.filter((m) => !m.name.startsWith("_"));
    if (shown.length && (d.kind === "interface" || d.kind === "class" || d.kind === "type")) {
      const opts = OPTIONS(d);
      out.push(opts ? "| option | type | default | meaning |" : "| member | type | meaning |", opts ? "|---|---|---|---|" : "|---|---|---|");
      for (const m of shown) {
        const type = `\`${esc(m.type.length > 120 ? `${m.type.slice(0, 120)}…` : m.type)}\``;
        out.push(opts ? `| \`${m.name}${m.optional ? "?" : ""}\` | ${type} | ${esc(m.defaultValue ?? "")} | ${esc(m.doc)} |` : `| \`${m.name}${m.optional ? "?" : ""}\` | ${type} | ${esc(m.doc)} |`);
      }
      out.push("");
    }
  }
  return { markdown: `${out.join("\n").trimEnd()}\n`, problems };
}

if (import.meta.main) {
  if (process.argv.includes("--emit")) {
    const r = Bun.spawnSync(["bash", join(ROOT, "scripts/build-package.sh")], { stdout: "inherit", stderr: "inherit" });
    if (r.exitCode !== 0) process.exit(r.exitCode ?? 1);
  }
  const { markdown, problems } = build();
  for (const p of problems) console.error(`library-doc: ${p}`);
  if (process.argv.includes("--check")) {
    const current = existsSync(OUT) ? readFileSync(OUT, "utf8") : "";
    if (current !== markdown) console.error("library-doc: docs/library.md is not what the declarations give: run bun scripts/library-doc.ts");
    process.exit(problems.length || current !== markdown ? 1 : 0);
  }
  writeFileSync(OUT, markdown);
  console.error(`library-doc: wrote ${OUT} (${problems.length} problem(s))`);
  process.exit(problems.length ? 1 : 0);
}
