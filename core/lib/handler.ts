// defineHandler: what a job type is, typed in its payload and result. Plugin files use it too.
import type { HandlerDef, HandlerModule, JobContext } from "../runtime/protocol/types.ts";
import { InputError } from "../runtime/protocol/errors.ts";

/** A handler: `handle(payload, ctx)` plus optional schema, limits and per-process setup/teardown. */
export type Handler<P = unknown, R = unknown> = HandlerDef<P, R>;

/**
 * Declare a handler. Returns `def` unchanged: the point is the types (`handle` gets a typed payload
 * and a typed `ctx`), so a plugin file reads
 * `export default defineHandler<Payload, Result>({ handle(payload, ctx) { ... } })`. The payload and
 * result types flow to a typed client: `new Client<typeof handlers>(...)` where `handlers` is the
 * object of handlers handed to the Worker; `submit("name", payload)` is then checked against them.
 * @throws InputError (code `"INPUT"`) when `handle` is not a function
 */
export function defineHandler<P = unknown, R = unknown>(def: HandlerDef<P, R>): Handler<P, R> {
  if (!def || typeof def.handle !== "function") throw new InputError("defineHandler: `handle(payload, ctx)` must be a function");
  return def;
}

/** The payload type of a handler (made with defineHandler, or a bare `(payload, ctx) => result` function). */
export type PayloadOf<H> = H extends (payload: infer P, ...rest: any[]) => unknown ? P : H extends HandlerDef<infer P, unknown> ? P : never;
/** The result type of a handler (made with defineHandler, or a bare function), promises unwrapped. */
export type ResultOf<H> = H extends (...a: any[]) => infer R ? Awaited<R> : H extends HandlerDef<any, infer R> ? Awaited<R> : never;

/**
 * Job type → handler, as a Worker takes them (`handlers`); `typeof` such an object types a Client:
 * `new Client<typeof handlers>({ nats })`.
 */
export type HandlerMap = Record<string, HandlerModule>;

/** What an untyped Client knows: any handler name, payloads and results `unknown`. */
export type UntypedHandlers = Record<string, Handler<unknown, unknown>>;

/** The handler names of `H` (any string for an untyped client). */
export type HandlerName<H extends HandlerMap> = keyof H & string;

/** The payload type of handler `K` of `H`. */
export type PayloadFor<H extends HandlerMap, K extends HandlerName<H>> = PayloadOf<H[K]>;

/** The result type of handler `K` of `H`. */
export type ResultFor<H extends HandlerMap, K extends HandlerName<H>> = ResultOf<H[K]>;

/** `true` when `H` names no particular handlers (a plain `Client`): then results may be typed by hand, `submit<R>(...)`. */
export type IsUntyped<H extends HandlerMap> = string extends keyof H ? true : false;

export type { JobContext };
