// The handler registry: built-in handlers plus plugins loaded from a directory (file name = job type).
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Ajv, { type ValidateFunction } from "ajv";
import type { HandlerDef, HandlerModule } from "../protocol/types.ts";
import { parseBackoff } from "../util/job-backoff.ts";
import type { HandlerInfoV1 } from "../protocol/handlers.ts";
import { ConfigError } from "../protocol/errors.ts";
import { tokenProblem } from "../protocol/subjects.ts";

/** A handler ready to run: its definition, its compiled schema, where it came from. */
export interface RegisteredHandler {
  name: string;
  def: HandlerDef;
  /** returns a readable problem, or undefined when the payload is valid */
  check(payload: unknown): string | undefined;
  /** "builtin" or the plugin file's path */
  source: string;
}

/** The built-in `echo` handler: returns its payload. */
export const echoHandler: HandlerDef = {
  description: "returns its payload (for tests and benchmarks)",
  handle: (payload) => payload,
};

/** Handlers by job type. */
export class HandlerRegistry {
  private handlers = new Map<string, RegisteredHandler>();
  // One Ajv per registry, not per process: a library must not share state between its users.
  private ajv = new Ajv({ allErrors: true, strict: false });

  /** Register a handler under `name`; a later registration of the same name replaces it. */
  register(name: string, mod: HandlerModule, source = "builtin"): RegisteredHandler {
    const p = tokenProblem(name);
    if (p) throw new ConfigError(`handler name "${name}" ${p}`, "handler");
    const def = normalize(mod, source);
    let validate: ValidateFunction | undefined;
    if (def.schema) {
      try {
        validate = this.ajv.compile(def.schema);
      } catch (err) {
        throw new ConfigError(`${source}: the schema of handler "${name}" is not valid JSON Schema: ${(err as Error).message}`, "schema");
      }
    }
    const reg: RegisteredHandler = {
      name,
      def,
      source,
      check(payload) {
        if (!validate || validate(payload)) return undefined;
        return (validate.errors ?? [])
          .map((e) => `payload${e.instancePath.replaceAll("/", ".")} ${e.message}${e.params && "additionalProperty" in e.params ? ` ("${e.params.additionalProperty}")` : ""}`)
          .join("; ");
      },
    };
    this.handlers.set(name, reg);
    return reg;
  }

  get(name: string): RegisteredHandler | undefined {
    return this.handlers.get(name);
  }

  /** What the fleet learns about handler `name` (DOCCTL_HANDLERS), as written by worker `by`. */
  info(name: string, by: string, source: HandlerInfoV1["source"] = "worker", now = Date.now()): HandlerInfoV1 {
    const def = this.handlers.get(name)?.def;
    return {
      v: 1,
      name,
      ...(def?.description ? { description: def.description } : {}),
      ...(def?.schema ? { schema: def.schema } : {}),
      source,
      registered_by: by,
      updated_at: now,
    };
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Keep only `names`; an unknown name is an error listing the known ones. */
  restrict(names: string[]): void {
    for (const n of names) {
      if (!this.handlers.has(n)) throw new ConfigError(`--handlers: unknown handler "${n}" (known: ${this.names().join(", ")})`, "handlers");
    }
    for (const n of this.names()) if (!names.includes(n)) this.handlers.delete(n);
  }

  /** The plugins that replaced a built-in handler (they said `override: true`), by the last loadPlugins(). */
  overrides: { name: string; path: string }[] = [];

  /**
   * Load every `<type>.ts|.js|.mjs` in `dir`. A file that fails to import (a syntax error, or an
   * error thrown while it loads, is shown as file:line:column), exports no handler or has a bad name is
   * an error, as are two files of one job type (`ok.ts` and `ok.js`, both named) and a plugin named like
   * a built-in handler without `override: true`; every bad file is listed at once, and none is
   * registered: a worker with a broken plugin must not start half-configured.
   */
  async loadPlugins(dir: string): Promise<string[]> {
    const abs = resolve(dir);
    let entries: string[];
    try {
      if (!statSync(abs).isDirectory()) throw new Error("not a directory");
      entries = readdirSync(abs);
    } catch (err) {
      throw new ConfigError(`--plugins ${dir}: cannot read the directory (${(err as Error).message})`, "plugins");
    }
    const good: { name: string; mod: HandlerModule; path: string }[] = [];
    const problems: string[] = [];
    this.overrides = [];
    const files = new Map<string, string[]>();
    for (const file of entries.sort()) {
      const m = /^(.+)\.(ts|js|mjs)$/.exec(file);
      if (m && !file.endsWith(".d.ts") && !file.startsWith(".")) files.set(m[1]!, [...(files.get(m[1]!) ?? []), file]);
    }
    for (const [name, both] of files) {
      if (both.length > 1) problems.push(`${join(abs, both[0]!)}: job type "${name}" has ${both.length} files: ${both.map((f) => join(abs, f)).join(" and ")}; keep one (the file name is the job type)`);
    }
    for (const file of entries.sort()) {
      const m = /^(.+)\.(ts|js|mjs)$/.exec(file);
      if (!m || file.endsWith(".d.ts") || file.startsWith(".")) continue;
      const name = m[1]!;
      if (files.get(name)!.length > 1) continue;
      const path = join(abs, file);
      if (tokenProblem(name)) {
        problems.push(`${path}: the file name is the job type, and "${name}" ${tokenProblem(name)}; rename the file`);
        continue;
      }
      try {
        // The query makes a re-load after an edit import the new code rather than the cached module.
        const mod = (await import(`${pathToFileURL(path).href}?mtime=${statSync(path).mtimeMs}`)) as { default?: unknown };
        const def = normalize(mod.default as HandlerModule, path); // checked now, registered once all are good
        const builtin = this.handlers.get(name)?.source === "builtin";
        const override = def.override === true || (mod.default as { override?: unknown } | undefined)?.override === true;
        if (builtin && !override) {
          problems.push(`${path}: "${name}" is a built-in handler; a plugin replaces it only when its definition says \`override: true\` (or rename the file)`);
          continue;
        }
        if (builtin) this.overrides.push({ name, path });
        good.push({ name, mod: mod.default as HandlerModule, path });
      } catch (err) {
        problems.push(err instanceof ConfigError ? err.message : loadProblem(err, path));
      }
    }
    if (problems.length) {
      const n = problems.length;
      throw new ConfigError(
        `--plugins ${dir}: ${n} plugin${n === 1 ? "" : "s"} cannot be loaded; fix ${n === 1 ? "it" : "them"} or move ${n === 1 ? "it" : "them"} out of the directory:\n` +
          problems.map((p) => `  ${p.replaceAll("\n", "\n    ")}`).join("\n"),
        "plugins",
      );
    }
    for (const g of good) this.register(g.name, g.mod, g.path);
    return good.map((g) => g.name);
  }
}

function normalize(mod: HandlerModule | undefined, source: string): HandlerDef {
  if (typeof mod === "function") return { handle: mod };
  if (mod && typeof mod === "object" && typeof (mod as HandlerDef).handle === "function") {
    const d = mod as HandlerDef;
    for (const k of ["timeoutMs", "maxAttempts"] as const) {
      if (d[k] !== undefined && !(Number.isInteger(d[k]) && d[k]! > 0)) {
        throw new ConfigError(`${source}: "${k}" must be a positive integer (got ${JSON.stringify(d[k])})`, "plugins");
      }
    }
    if (d.backoff !== undefined) {
      // the handler's default backoff, in the people's form or the wire's: checked once here
      try {
        return { ...d, backoff: parseBackoff(d.backoff, "backoff") };
      } catch (err) {
        throw new ConfigError(`${source}: ${(err as Error).message}`, "plugins");
      }
    }
    return d;
  }
  throw new ConfigError(
    `${source}: must default-export a handler: a function (payload, ctx) => result, or an object with a handle(payload, ctx) method`,
    "plugins",
  );
}

/**
 * What went wrong importing a plugin, for people. Bun reports a syntax error (in the plugin or a file it
 * imports) with a `position`: it becomes `file:line:column: message` and the offending line.
 */
function loadProblem(err: unknown, path: string): string {
  const e = err as { message?: unknown; position?: { file?: string; line?: number; column?: number; lineText?: string } | null } | undefined;
  const message = typeof e?.message === "string" ? e.message : String(err);
  const p = e?.position;
  if (p && typeof p.line === "number" && p.line > 0) {
    return `${p.file || path}:${p.line}:${p.column ?? 1}: syntax error: ${message}${p.lineText ? `\n${p.lineText.trimEnd()}` : ""}`;
  }
  // An error thrown while the plugin's module ran (a JSON.parse of a bad file, a missing setting):
  // where, from its stack: the plugin's own frame, else the first frame that is not docctl's.
  const at = throwSite(err, path);
  if (at) return `${at}: the plugin threw while loading: ${message}`;
  return `${path}: the plugin failed to load: ${message}`;
}

/** `file:line:column` of the frame of `err`'s stack in `path` (else the first outside docctl), if any. */
export function throwSite(err: unknown, path: string): string | undefined {
  const stack = err && typeof err === "object" ? (err as { stack?: unknown }).stack : undefined;
  if (typeof stack !== "string") return undefined;
  const sites = [...stack.matchAll(/\(?((?:file:\/\/)?\/[^\s()]+?):(\d+):(\d+)\)?\s*$/gm)].map((m) => ({ file: m[1]!.replace(/^file:\/\//, "").replace(/\?.*$/, ""), line: m[2]!, col: m[3]! }));
  const own = sites.find((s) => s.file === path) ?? sites.find((s) => !/\$bunfs|\/core\/runtime\/|node_modules|node:/.test(s.file));
  return own ? `${own.file}:${own.line}:${own.col}` : undefined;
}
