// Where each option's value comes from: a flag, else the environment, else docctl.toml, else the default.
// Generic over every command's option spec, so commands added later get the file and env for free.
import type { OptionSpec } from "./command.ts";
import type { ConfigFile } from "./config-file.ts";
import { ConfigError } from "../core/runtime/protocol/errors.ts";
import { redactUrl } from "../core/runtime/util/log.ts";

export type Source = "flag" | "env" | "context" | "file" | "default";

export type RawValue = string | boolean | (string | boolean)[] | undefined;

/** One option's effective value and its origin. */
export interface Setting {
  /** "" for a global option, else the command name */
  section: string;
  key: string;
  value: RawValue;
  source: Source;
  /** the environment variable or `docctl.toml:12` */
  where?: string;
}

/** DOCCTL_<COMMAND>_<OPTION>: the environment variable of a command's option (`DOCCTL_WORKER_CONCURRENCY`). */
export function envName(section: string, key: string): string {
  return ["DOCCTL", section, key].filter(Boolean).join("_").toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

export interface ResolveInput {
  /** "" for the global options, else the command name */
  section: string;
  spec: OptionSpec;
  /** what parseArgs found on the command line */
  flags: Record<string, RawValue>;
  env: Record<string, string | undefined>;
  /** the section's values from docctl.toml */
  file?: Map<string, { value: RawValue; where: string }>;
  /** environment variable names per option (global options); others use envName() */
  envNames?: Record<string, string[]>;
  /** options not taken from the environment or file */
  skip: Set<string>;
  defaults?: Record<string, unknown>;
}

/** Resolve one section's options in the order flag > environment > file > default. */
export function resolveSection(i: ResolveInput): Setting[] {
  const out: Setting[] = [];
  for (const [key, spec] of Object.entries(i.spec)) {
    const base = { section: i.section, key };
    const flag = i.flags[key];
    if (flag !== undefined) {
      out.push({ ...base, value: flag, source: "flag", where: `--${key}` });
      continue;
    }
    if (i.skip.has(key)) continue;
    const names = i.envNames?.[key] ?? [envName(i.section, key)];
    const name = names.find((n) => i.env[n] !== undefined && i.env[n] !== "");
    if (name) {
      out.push({ ...base, value: fromEnv(i.env[name]!, spec, name), source: "env", where: name });
      continue;
    }
    const f = i.file?.get(key);
    if (f) {
      out.push({ ...base, value: f.value, source: "file", where: f.where });
      continue;
    }
    const def = spec.default ?? i.defaults?.[key];
    out.push({ ...base, value: def as RawValue, source: "default" });
  }
  return out;
}

/** The parseArgs-style values of resolved settings (defaults left undefined so commands apply their own). */
export function valuesOf(settings: Setting[]): Record<string, RawValue> {
  const out: Record<string, RawValue> = {};
  for (const s of settings) if (s.source !== "default") out[s.key] = s.value;
  return out;
}

function fromEnv(raw: string, spec: OptionSpec[string], name: string): RawValue {
  if (spec.type === "string") return spec.multiple ? raw.split(",") : raw;
  if (spec.multiple) {
    // a repeatable switch: DOCCTL_VERBOSE=3 is -vvv
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${name}: must be a whole number (got "${raw}")`, name);
    return Array(Number(raw)).fill(true);
  }
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name}: must be true or false (got "${raw}")`, name);
}

/**
 * Defaults as a command's --help states them (`--timeout DUR   ... (default 5m)`), for `docctl config`
 * to show: commands keep their defaults in code, and this keeps the display in step with the help.
 */
export function helpDefaults(help: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of help.split("\n")) {
    const m = /^\s+(?:-\w, )?--([a-z0-9-]+)\b.*\(default ([^:].*)\)\s*$/.exec(line);
    // "(default 1: the manager adds workers ...)": the value is what comes before the explanation
    if (m && !(m[1]! in out)) out[m[1]!] = m[2]!.split(/[:;] /)[0]!.trim();
  }
  return out;
}

/** Whether a setting holds a secret: its value is never printed. */
export function isSecret(key: string): boolean {
  return /password|token|secret/i.test(key);
}

/** A value fit to show: secrets masked, URL credentials redacted. */
export function shownValue(s: Setting): unknown {
  if (s.value === undefined) return null;
  if (isSecret(s.key)) return "***";
  if (Array.isArray(s.value) && s.value.every((x) => x === true)) return s.value.length;
  if (typeof s.value === "string") return redactUrl(s.value);
  return s.value;
}

/** Settings of every section: what `docctl config` prints. */
export interface SettingsReport {
  file?: string;
  /** the config file's structural problems (unknown section or key, a wrong type), each with file:line */
  fileProblems: string[];
  settings: Setting[];
  /** the section names: "global" and every command */
  sections: string[];
  /** the settings among `settings` whose value their option does not allow, one readable line each (file:line, option, what is allowed) */
  problemsOf(settings: Setting[]): string[];
}

/** Where a ConfigError's option was set, for its message: ` (from docctl.toml:12 [worker] concurrency)`. */
export function originOf(settings: Setting[], option: string | undefined): string {
  const s = option ? settings.find((x) => x.key === option) : undefined;
  if (!s || s.source === "flag" || s.source === "default") return "";
  return s.source === "env" ? ` (from ${s.where})` : ` (from ${s.where}${s.section ? ` [${s.section}]` : ""} ${s.key})`;
}

export type { ConfigFile };
