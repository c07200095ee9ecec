// Fleet-wide limits per handler in KV DOCCTL_LIMITS: set, list, remove. Workers watch the bucket.
import type { NatsConnection } from "@nats-io/transport-node";
import { parseLimit, type LimitV1 } from "../protocol/jobcontrol.ts";
import { InputError } from "../protocol/errors.ts";
import { tokenProblem } from "../protocol/subjects.ts";
import { limitsBucket } from "../nats/buckets.ts";

/** What `limit set` changes: a field left out keeps its current value. */
export interface LimitChange {
  concurrency?: number;
  rate?: { count: number; per_ms: number };
}

/** Set (merge) the limits of `handler`; returns the limit now in force. */
export async function setLimit(nc: NatsConnection, handler: string, change: LimitChange): Promise<LimitV1> {
  const p = tokenProblem(handler);
  if (p) throw new InputError(`handler "${handler}" ${p}`);
  if (change.concurrency === undefined && change.rate === undefined) throw new InputError("give --concurrency N and/or --rate N/s|N/m (see docctl limit --help)");
  if (change.concurrency !== undefined && !(Number.isInteger(change.concurrency) && change.concurrency >= 1)) {
    throw new InputError(`--concurrency must be a whole number of at least 1 (got ${change.concurrency}); a limit of 0 would stop the handler for good: use docctl pause, or docctl limit rm to lift the limit`);
  }
  if (change.rate && !(change.rate.count >= 1 && change.rate.per_ms > 0)) throw new InputError(`--rate must allow at least 1 job per period (got ${change.rate.count})`);
  const kv = await limitsBucket(nc);
  const e = await kv.get(handler);
  // an unreadable value is replaced by the new limit
  const old = e && e.operation === "PUT" ? parseLimit(e.string(), handler) : undefined;
  const cur: LimitV1 = old?.ok ? old.value : { v: 1, handler };
  const next: LimitV1 = { ...cur, v: 1, handler, ...(change.concurrency !== undefined ? { concurrency: change.concurrency } : {}), ...(change.rate ? { rate: change.rate } : {}) };
  await kv.put(handler, JSON.stringify(next));
  return next;
}

/** Every limit, by handler name. */
export async function listLimits(nc: NatsConnection): Promise<LimitV1[]> {
  const kv = await limitsBucket(nc);
  const out: LimitV1[] = [];
  for await (const k of await kv.keys()) {
    const e = await kv.get(k);
    if (!e || e.operation !== "PUT") continue;
    // a value that is not a limit (written by hand, another program) holds nothing back: not listed
    const parsed = parseLimit(e.string(), k);
    if (parsed.ok) out.push(parsed.value);
  }
  return out.sort((a, b) => a.handler.localeCompare(b.handler));
}

/** Remove the limits of `handler`; false when it had none. */
export async function removeLimit(nc: NatsConnection, handler: string): Promise<boolean> {
  const kv = await limitsBucket(nc);
  const e = await kv.get(handler);
  if (!e || e.operation !== "PUT") return false;
  await kv.delete(handler);
  return true;
}

/** `5/s` → "5/s", for people. */
export function formatRate(r: { count: number; per_ms: number }): string {
  const unit = r.per_ms === 1000 ? "s" : r.per_ms === 60_000 ? "m" : r.per_ms === 3_600_000 ? "h" : `${r.per_ms}ms`;
  return `${r.count}/${unit}`;
}
