// Reads docctl.toml: top-level keys are global options, [command] sections hold a command's options,
// keys are named like the flags. Every unknown key or wrongly typed value is an error naming file:line.
import { existsSync, readFileSync } from "node:fs";
import { parse, TomlError } from "smol-toml";
import type { OptionSpec } from "./command.ts";
import { ConfigError } from "../core/runtime/protocol/errors.ts";
import { didYouMean } from "./argv.ts";

/** One value read from the file, converted to what parseArgs would have produced for the flag. */
export interface FileValue {
  value: string | boolean | (string | boolean)[];
  /** `docctl.toml:12` */
  where: string;
}

export interface ConfigFile {
  path: string;
  /** global options */
  globals: Map<string, FileValue>;
  /** command name → option → value */
  sections: Map<string, Map<string, FileValue>>;
  /** every structural problem (unknown section or key, a value of the wrong type), each naming file:line; their keys are left out */
  problems: string[];
}

/** Which file to read: --config, else DOCCTL_CONFIG, else ./docctl.toml when it exists. */
export function configPath(flag: string | undefined, env: Record<string, string | undefined>, cwd = process.cwd()): string | undefined {
  if (flag) return flag;
  if (env.DOCCTL_CONFIG) return env.DOCCTL_CONFIG;
  const local = `${cwd}/docctl.toml`;
  return existsSync(local) ? "docctl.toml" : undefined;
}

/** Read and check `path` against the global options and every command's options. */
export function loadConfigFile(path: string, globalSpec: OptionSpec, commandSpecs: Record<string, OptionSpec>, skip: Set<string>): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`config file ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`, "config", { cause: err });
  }
  return checkConfig(text, path, globalSpec, commandSpecs, skip);
}

/**
 * Parse and check TOML `text` (pure: tests call it directly). A TOML syntax error throws (nothing
 * can be read past it); other problems are all collected in `problems`, their keys left out.
 */
export function checkConfig(text: string, path: string, globalSpec: OptionSpec, commandSpecs: Record<string, OptionSpec>, skip: Set<string>): ConfigFile {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError(`${path}:${err.line}:${err.column}: ${firstLine(err.message)}`, "config", { cause: err });
    }
    throw err;
  }
  const lines = keyLines(text);
  const at = (section: string, key: string) => `${path}:${lines.get(`${section}\u0000${key}`) ?? lines.get(`${section}\u0000`) ?? 1}`;
  const out: ConfigFile = { path, globals: new Map(), sections: new Map(), problems: [] };
  const problem = (f: () => void) => {
    try {
      f();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      out.problems.push(err.message);
    }
  };
  const known = (spec: OptionSpec) => Object.keys(spec).filter((k) => !skip.has(k));
  for (const [rawKey, value] of Object.entries(doc)) {
    if (isTable(value)) {
      const spec = commandSpecs[rawKey];
      if (!spec) {
        const hint = didYouMean(rawKey, Object.keys(commandSpecs));
        out.problems.push(`${at(rawKey, "")}: [${rawKey}]: unknown section${hint ? ` (did you mean [${hint}]?)` : ""} (known: ${Object.keys(commandSpecs).join(", ")})`);
        continue;
      }
      const section = new Map<string, FileValue>();
      for (const [k, v] of Object.entries(value)) {
        const key = k.replace(/_/g, "-");
        const where = at(rawKey, k);
        if (!spec[key] || skip.has(key)) {
          const near = didYouMean(key, known(spec));
          const hint = globalSpec[key] && !skip.has(key) ? `; "${key}" is a global setting: put it at the top, before any [section]` : near ? ` (did you mean ${near}?)` : "";
          out.problems.push(`${where}: [${rawKey}] ${k}: unknown key${hint.startsWith(" (") ? hint : ""} (known: ${known(spec).join(", ") || "none"})${hint.startsWith(";") ? hint : ""}`);
          continue;
        }
        problem(() => section.set(key, { value: convert(v, spec[key]!, `${where}: [${rawKey}] ${k}`), where }));
      }
      out.sections.set(rawKey, section);
      continue;
    }
    const key = rawKey.replace(/_/g, "-");
    const where = at("", rawKey);
    if (!globalSpec[key] || skip.has(key)) {
      const inSection = Object.entries(commandSpecs).filter(([, s]) => s[key]).map(([n]) => `[${n}]`);
      const near = didYouMean(key, known(globalSpec));
      const hint = inSection.length ? `; "${key}" is an option of ${inSection.join(", ")}: put it in that section` : "";
      out.problems.push(`${where}: ${rawKey}: unknown key${near && !hint ? ` (did you mean ${near}?)` : ""} (known: ${known(globalSpec).join(", ")})${hint}`);
      continue;
    }
    problem(() => out.globals.set(key, { value: convert(value, globalSpec[key]!, `${where}: ${rawKey}`), where }));
  }
  return out;
}

type Spec = OptionSpec[string];

// TOML types → what parseArgs yields for the flag: strings (numbers allowed: `concurrency = 8`),
// booleans, and a count for repeatable switches (`verbose = 3` is -vvv).
function convert(v: unknown, spec: Spec, what: string): string | boolean | (string | boolean)[] {
  if (spec.type === "boolean") {
    if (spec.multiple) {
      if (typeof v === "number" && Number.isInteger(v) && v >= 0) return Array(v).fill(true);
      if (typeof v === "boolean") return v ? [true] : [];
      throw new ConfigError(`${what}: must be a whole number (got ${describe(v)})`, "config");
    }
    if (typeof v !== "boolean") throw new ConfigError(`${what}: must be true or false (got ${describe(v)})`, "config");
    return v;
  }
  const one = (x: unknown): string => {
    if (typeof x === "string") return x;
    if (typeof x === "number" && Number.isFinite(x)) return String(x);
    if (typeof x === "bigint") return String(x);
    throw new ConfigError(`${what}: must be a string${typeof x === "boolean" ? " or a number" : ""} (got ${describe(x)})`, "config");
  };
  if (spec.multiple) return (Array.isArray(v) ? v : [v]).map(one);
  if (Array.isArray(v)) {
    // a list for a comma-separated option (`handlers = ["pdf", "title"]`)
    return v.map(one).join(",");
  }
  return one(v);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v instanceof Date) return "a date";
  if (isTable(v)) return "a table";
  return typeof v === "string" ? `"${v}"` : `${typeof v} ${String(v)}`;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
}

// Line of each `key =` by section (`section\0key`) and of each `[section]` header (`section\0`), for messages.
function keyLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let section = "";
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    const header = /^\[\s*([A-Za-z0-9_-]+|"[^"]*")\s*\]/.exec(line);
    if (header) {
      section = header[1]!.replace(/"/g, "");
      if (!out.has(`${section}\u0000`)) out.set(`${section}\u0000`, i + 1);
      return;
    }
    const kv = /^((?:[A-Za-z0-9_-]+|"[^"]*")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"))*)\s*=/.exec(line);
    if (!kv) return;
    const parts = kv[1]!.split(".").map((p) => p.trim().replace(/"/g, ""));
    const [sec, key] = parts.length > 1 && !section ? [parts[0]!, parts[1]!] : [section, parts[0]!];
    if (parts.length > 1 && !section && !out.has(`${sec}\u0000`)) out.set(`${sec}\u0000`, i + 1);
    if (!out.has(`${sec}\u0000${key}`)) out.set(`${sec}\u0000${key}`, i + 1);
  });
  return out;
}
