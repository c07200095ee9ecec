// The handler registry: built-in handlers plus plugins loaded from a directory (file name = job type).
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Ajv, { type ValidateFunction } from "ajv";
import type { HandlerDef, HandlerModule } from "../protocol/types.ts";
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

  /**
   * Load every `<type>.ts|.js|.mjs` in `dir`. A file that fails to import or exports no handler
   * is an error naming the file: a worker with a broken plugin must not start half-configured.
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
    const loaded: string[] = [];
    for (const file of entries.sort()) {
      const m = /^(.+)\.(ts|js|mjs)$/.exec(file);
      if (!m || file.endsWith(".d.ts") || file.startsWith(".")) continue;
      const name = m[1]!;
      const path = join(abs, file);
      if (tokenProblem(name)) {
        throw new ConfigError(`${path}: the file name is the job type, and "${name}" ${tokenProblem(name)}; rename the file`, "plugins");
      }
      let mod: { default?: unknown };
      try {
        // The query makes a re-load after an edit import the new code rather than the cached module.
        mod = await import(`${pathToFileURL(path).href}?mtime=${statSync(path).mtimeMs}`);
      } catch (err) {
        throw new ConfigError(`${path}: the plugin failed to load: ${(err as Error).message}`, "plugins", { cause: err });
      }
      this.register(name, mod.default as HandlerModule, path);
      loaded.push(name);
    }
    return loaded;
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
    return d;
  }
  throw new ConfigError(
    `${source}: must default-export a handler: a function (payload, ctx) => result, or an object with a handle(payload, ctx) method`,
    "plugins",
  );
}
