// A job's retry backoff on the wire (JobV1.backoff): its schema, the type derived from it, and its check.
import { Type, type Static } from "@sinclair/typebox";
import { checker } from "./schema.ts";

/** The longest delay a backoff may name: JetStream's nak delay is a Go duration, and a day is plenty. */
export const MAX_BACKOFF_MS = 24 * 3_600_000;

const Ms = Type.Number({ minimum: 0, maximum: MAX_BACKOFF_MS, problem: `{parent} "{name}" must be ms between 0 and ${MAX_BACKOFF_MS}` });
const Fixed = Type.Object({ type: Type.Literal("fixed"), delay_ms: Ms });
const Exponential = Type.Object({
  type: Type.Literal("exponential"),
  delay_ms: Ms,
  max_ms: Type.Optional(Ms),
  factor: Type.Optional(Type.Number({ minimum: 1, maximum: 10, problem: `{parent} "factor" must be a number from 1 to 10` })),
});
const List = Type.Object({
  type: Type.Literal("list"),
  delays_ms: Type.Array(Type.Number({ minimum: 0, maximum: MAX_BACKOFF_MS }), {
    minItems: 1,
    maxItems: 100,
    problem: `{parent} "delays_ms" must be 1 to 100 delays in ms, each at most ${MAX_BACKOFF_MS}`,
  }),
});

/**
 * A job's or handler's backoff on the wire: fixed, exponential, or a list of delays. `type` picks the
 * branch (an ajv discriminator), so a problem is said about the branch the sender meant.
 */
export const BackoffSchema = Type.Unsafe<Static<typeof Fixed> | Static<typeof Exponential> | Static<typeof List>>({
  type: "object",
  required: ["type"],
  oneOf: [Fixed, Exponential, List],
  discriminator: { propertyName: "type" },
  problem: {
    type: '{at} must be a map with a "type"',
    required: '{at} "type" must be "fixed", "exponential" or "list" (got {tagValue})',
    discriminator: '{at} "type" must be "fixed", "exponential" or "list" (got {tagValue})',
  },
});
/** A job's or handler's backoff on the wire (JobV1.backoff): fixed, exponential, or a list of delays. */
export type BackoffV1 = Static<typeof BackoffSchema>;

const backoff = checker(BackoffSchema);

/** Why `b` (decoded from the wire) is not a BackoffV1, or undefined. */
export function backoffProblem(b: unknown): string | undefined {
  return backoff.check(b) ? undefined : backoff.problem(b, () => "");
}
