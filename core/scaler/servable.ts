// Which lag the fleet can work off: jobs for a handler that nobody has registered (no consumer) and
// that none of the workers this manager starts serves (a typo queued with `submit --create`) would keep
// servers running forever without ever draining. A handler with a consumer always counts: some worker
// registered it once. A pure function of the reading and the handlers the workers serve.
import type { HandlerLag, LagReading } from "../runtime/client/lag.ts";

/** The reading restricted to `handlers`, and the handlers left out that have jobs waiting. */
export function servableLag(reading: LagReading, handlers: readonly string[]): { reading: LagReading; unserved: HandlerLag[] } {
  const served = new Set(handlers);
  const counts = (h: HandlerLag) => h.source === "consumer" || served.has(h.handler);
  const kept = reading.handlers.filter(counts);
  const unserved = reading.handlers.filter((h) => !counts(h) && h.lag > 0);
  const sum = (f: (h: HandlerLag) => number) => kept.reduce((a, h) => a + f(h), 0);
  return { reading: { ...reading, handlers: kept, total: sum((h) => h.lag), delivered: sum((h) => h.delivered) }, unserved };
}
