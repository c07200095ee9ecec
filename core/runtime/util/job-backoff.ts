// How long a job waits before its next attempt: the job's own backoff, else its handler's, else the
// worker's (--retry-base, doubling). Pure: no clock, no I/O. And the backoff as people write it.
import { backoffDelay, type Backoff } from "./backoff.ts";
import { parseDuration } from "./duration.ts";
import { MAX_BACKOFF_MS, backoffProblem, type BackoffV1 } from "../protocol/backoff.ts";

export { MAX_BACKOFF_MS, backoffProblem, type BackoffV1 } from "../protocol/backoff.ts";

/** The delay before the attempt after `attempt` (1 = the first attempt failed). */
export function retryDelayMs(attempt: number, job: BackoffV1 | undefined, handler: BackoffV1 | undefined, worker: Backoff): number {
  const b = job ?? handler;
  const n = Math.max(1, Math.floor(attempt) || 1);
  if (!b) return backoffDelay(n - 1, worker);
  if (b.type === "fixed") return b.delay_ms;
  if (b.type === "list") return b.delays_ms[Math.min(n - 1, b.delays_ms.length - 1)] ?? 0;
  const max = b.max_ms ?? MAX_BACKOFF_MS;
  return Math.round(Math.min(max, b.delay_ms * Math.pow(b.factor ?? 2, Math.min(n - 1, 64))));
}

/**
 * The backoff as people write it (job files, Client options, handler definitions):
 * `{"type":"exponential","delay":"2s","max":"10m"}`, `{"type":"fixed","delay":"5s"}`, a list
 * `["1s","10s","1m"]`, or the wire form itself. Throws an Error naming `where` and what is wrong.
 */
export function parseBackoff(v: unknown, where: string): BackoffV1 {
  const dur = (x: unknown, k: string): number => {
    if (typeof x === "number" && Number.isFinite(x) && x >= 0) return x;
    if (typeof x === "string") return parseDuration(x, `${where}.${k}`);
    throw new Error(`${where}.${k} must be a duration like "2s" or a number of ms (got ${JSON.stringify(x)})`);
  };
  let b: BackoffV1;
  if (Array.isArray(v)) b = { type: "list", delays_ms: v.map((d, i) => dur(d, String(i))) };
  else if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!["type", "delay", "max", "factor", "delays", "delay_ms", "max_ms", "delays_ms"].includes(k)) throw new Error(`${where}: unknown key "${k}" (use type, delay, max, factor or delays)`);
    }
    if (o.type === "fixed") b = { type: "fixed", delay_ms: dur(o.delay ?? o.delay_ms, "delay") };
    else if (o.type === "exponential") {
      b = { type: "exponential", delay_ms: dur(o.delay ?? o.delay_ms, "delay") };
      if (o.max !== undefined || o.max_ms !== undefined) b.max_ms = dur(o.max ?? o.max_ms, "max");
      if (o.factor !== undefined) b.factor = o.factor as number;
    } else if (o.type === "list") b = { type: "list", delays_ms: ((o.delays ?? o.delays_ms) as unknown[] | undefined ?? []).map((d, i) => dur(d, `delays.${i}`)) };
    else throw new Error(`${where}.type must be "fixed", "exponential" or "list" (got ${JSON.stringify(o.type)})`);
  } else throw new Error(`${where} must be {"type":"exponential","delay":"2s","max":"10m"}, {"type":"fixed","delay":"5s"} or a list of delays like ["1s","10s"]`);
  const p = backoffProblem(b);
  if (p) throw new Error(`${where}: ${p.replace(/_ms"/g, '"')}`);
  return b;
}
