// defineHandler: what a job type is, typed in its payload and result. Plugin files use it too.
import type { HandlerDef, JobContext } from "../runtime/protocol/types.ts";

/** A handler: `handle(payload, ctx)` plus optional schema, limits and per-process setup/teardown. */
export type Handler<P = unknown, R = unknown> = HandlerDef<P, R>;

/**
 * Declare a handler. Returns `def` unchanged: the point is the types (`handle` gets a typed payload
 * and a typed `ctx`, and the result type flows to `Client.submit`), so a plugin file reads
 * `export default defineHandler<Payload, Result>({ handle(payload, ctx) { ... } })`.
 */
export function defineHandler<P = unknown, R = unknown>(def: HandlerDef<P, R>): Handler<P, R> {
  if (!def || typeof def.handle !== "function") throw new TypeError("defineHandler: `handle(payload, ctx)` must be a function");
  return def;
}

/** The payload type of a handler made with defineHandler. */
export type PayloadOf<H> = H extends HandlerDef<infer P, unknown> ? P : never;
/** The result type of a handler made with defineHandler. */
export type ResultOf<H> = H extends HandlerDef<any, infer R> ? Awaited<R> : never;

export type { JobContext };
