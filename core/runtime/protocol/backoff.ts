// A job's retry backoff on the wire (JobV1.backoff), and its check.

/** A job's or handler's backoff on the wire (JobV1.backoff): fixed, exponential, or a list of delays. */
export type BackoffV1 =
  | { type: "fixed"; delay_ms: number }
  | { type: "exponential"; delay_ms: number; max_ms?: number; factor?: number }
  | { type: "list"; delays_ms: number[] };

/** The longest delay a backoff may name: JetStream's nak delay is a Go duration, and a day is plenty. */
export const MAX_BACKOFF_MS = 24 * 3_600_000;

/** Why `b` (decoded from the wire) is not a BackoffV1, or undefined. */
export function backoffProblem(b: unknown): string | undefined {
  if (!b || typeof b !== "object" || Array.isArray(b)) return "must be a map with a \"type\"";
  const o = b as Record<string, unknown>;
  const ms = (k: string) => (typeof o[k] === "number" && Number.isFinite(o[k]) && (o[k] as number) >= 0 && (o[k] as number) <= MAX_BACKOFF_MS ? undefined : `"${k}" must be ms between 0 and ${MAX_BACKOFF_MS}`);
  if (o.type === "fixed") return ms("delay_ms");
  if (o.type === "exponential") return ms("delay_ms") ?? (o.max_ms !== undefined ? ms("max_ms") : undefined) ?? (o.factor !== undefined && !(typeof o.factor === "number" && o.factor >= 1 && o.factor <= 10) ? `"factor" must be a number from 1 to 10` : undefined);
  if (o.type === "list") {
    const l = o.delays_ms;
    if (!Array.isArray(l) || !l.length || l.length > 100 || !l.every((d) => typeof d === "number" && d >= 0 && d <= MAX_BACKOFF_MS)) return `"delays_ms" must be 1 to 100 delays in ms, each at most ${MAX_BACKOFF_MS}`;
    return undefined;
  }
  return `"type" must be "fixed", "exponential" or "list" (got ${JSON.stringify(o.type)})`;
}

