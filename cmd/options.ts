// Reading typed option values at the edge: whole numbers and durations, with errors naming the flag.
import { ConfigError } from "../core/runtime/protocol/errors.ts";
import { parseDuration } from "../core/runtime/util/duration.ts";
import type { CommandContext, GlobalOptions } from "./command.ts";
import type { NatsOptions } from "../core/runtime/nats/connection.ts";

/** Connection options from the global options: URL, credentials, TLS. Every command connects with these. */
export function natsOptionsFrom(global: GlobalOptions, name: string, more: Partial<NatsOptions> = {}): NatsOptions {
  return { url: global.nats, auth: global.auth, name, replicas: global.replicas, ...more };
}

/** A whole number option (`--name N`), checked against `min`. */
export function intOpt(ctx: CommandContext, name: string, def: number, min = 1): number {
  const v = ctx.values[name];
  if (v === undefined) return def;
  const s = String(v);
  if (!/^\d+$/.test(s) || Number(s) < min) throw new ConfigError(`--${name} must be a whole number of at least ${min} (got "${s}")`, name);
  return Number(s);
}

/** A duration option (`--name 5s`) in ms. */
export function durOpt(ctx: CommandContext, name: string, def: number): number {
  const v = ctx.values[name];
  return v === undefined ? def : parseDuration(String(v), `--${name}`);
}

/** A string option or a default. */
export function strOpt(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return v === undefined ? undefined : String(v);
}

/** A list option given repeated and/or comma-separated (`--plugins a --plugins b,c`), in order, without blanks. */
export function listOpt(ctx: CommandContext, name: string): string[] {
  const v = ctx.values[name];
  const raw = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return raw.flatMap((x) => String(x).split(",")).map((s) => s.trim()).filter(Boolean);
}
