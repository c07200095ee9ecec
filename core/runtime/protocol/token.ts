// The subject-token schema: ids, batches and handler names are single NATS subject tokens.
import { Type } from "@sinclair/typebox";
import { checker } from "./schema.ts";

/** ids, batches and handler names are single subject tokens: letters, digits, `_` and `-`. */
export const TOKEN_RE = /^[A-Za-z0-9_-]{1,128}$/;
/** Names that, as an object key (a registry, a map of results by id), reach an object's prototype. */
export const RESERVED_TOKENS = new Set(["__proto__", "constructor", "prototype"]);

/** A subject token (the type is string; the schema checks the characters, the length and the reserved names). */
export const TokenSchema = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: "^[A-Za-z0-9_-]*$",
  chars: "A-Za-z0-9_-",
  reserved: [...RESERVED_TOKENS],
  problem: {
    type: "{at} must be a string (got {got})",
    required: "{at} must be a string (got {got})",
    minLength: "{at} must not be empty",
    maxLength: "{at} must be at most 128 characters (got {length})",
    pattern: '{at} may only contain letters, digits, "_" and "-" (found {found})',
    reserved: '{at} must not be "{value}" (a reserved JavaScript property name); choose another',
  },
});

/**
 * The same set of strings as TokenSchema in one regex (ASCII, so characters are UTF-16 units): what the
 * hot path checks. TokenSchema's separate keywords are only run to say which rule a value broke.
 */
export const TokenFastSchema = Type.String({ pattern: TOKEN_RE.source, reserved: [...RESERVED_TOKENS] });

const token = checker(TokenSchema, TokenFastSchema);

/** Returns why `s` is not a valid token, or undefined when it is. */
export function tokenProblem(s: unknown): string | undefined {
  // A valid token is answered by TokenFastSchema's rule in plain code: most CLI commands check one id
  // and should not pay for compiling a validator (tens of ms on a cold process). A test keeps this
  // rule, the fast schema and the explained schema accepting the same values.
  if (typeof s === "string" && TOKEN_RE.test(s) && !RESERVED_TOKENS.has(s)) return undefined;
  return token.problem(s, () => "") ?? undefined;
}
