// `--context NAME`: the connection settings of a nats CLI context (`nats context add`), the JSON file
// ~/.config/nats/context/NAME.json ($XDG_CONFIG_HOME respected). They fill in what flags and the
// environment leave open, ahead of docctl.toml: url, user/password, token, creds, nkey, tls cert/key/ca.
import { readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../core/runtime/protocol/errors.ts";
import type { Setting } from "./settings.ts";

/** A nats CLI context file's fields docctl uses, and the global option each one sets. */
export const CONTEXT_FIELDS: Record<string, string> = {
  url: "nats",
  user: "nats-user",
  password: "nats-password",
  token: "nats-token",
  creds: "nats-creds",
  nkey: "nats-nkey",
  cert: "tls-cert",
  key: "tls-key",
  ca: "tls-ca",
};

const AUTH = ["nats-user", "nats-password", "nats-token", "nats-creds", "nats-nkey"];

/** Where the nats CLI keeps its contexts. */
export function contextDir(env: Record<string, string | undefined>): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config"), "nats", "context");
}

/** The context file `name` as the options it sets (empty strings left out). */
export function readContext(name: string, env: Record<string, string | undefined>): { path: string; values: Record<string, string> } {
  const dir = contextDir(env);
  const path = name.includes("/") ? name : join(dir, `${name}.json`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      let known: string[] = [];
      try {
        known = readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
      } catch {
        /* no context directory */
      }
      throw new ConfigError(
        `--context ${name}: no such nats context (${path})${known.length ? `; contexts: ${known.sort().join(", ")}` : `; create one with \`nats context add ${name} --server URL\``}`,
        "context",
      );
    }
    throw new ConfigError(`--context ${name}: cannot read ${path}: ${(err as Error).message}`, "context", { cause: err });
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError(`--context ${name}: ${path} is not a JSON object`, "context");
  const values: Record<string, string> = {};
  for (const [field, option] of Object.entries(CONTEXT_FIELDS)) {
    const v = doc[field];
    if (typeof v === "string" && v !== "") values[option] = v;
  }
  return { path, values };
}

/**
 * `globals` with the context's values where no flag or environment variable set the option (a context
 * beats docctl.toml and defaults). Its credentials are taken only when neither flags nor environment
 * give any: two ways to authenticate would be refused.
 */
export function applyContext(globals: Setting[], name: string, env: Record<string, string | undefined>): Setting[] {
  const { path, values } = readContext(name, env);
  const given = (s: Setting) => s.source === "flag" || s.source === "env";
  const authGiven = globals.some((s) => AUTH.includes(s.key) && given(s));
  return globals.map((s) => {
    const v = values[s.key];
    if (v === undefined || given(s) || (authGiven && AUTH.includes(s.key))) return s;
    return { ...s, value: v, source: "context", where: `${path}` };
  });
}
