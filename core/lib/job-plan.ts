// The library's job options turned into planned jobs: pure checks and conversions, no I/O.
import { newId, type PlannedJob, type SubmitPlan } from "../runtime/client/jobfile.ts";
import { PRIORITIES, tokenProblem } from "../runtime/protocol/subjects.ts";
import { parseDuration } from "../runtime/util/duration.ts";
import { parseBackoff, type BackoffV1 } from "../runtime/util/job-backoff.ts";
import { InputError } from "../runtime/protocol/errors.ts";
import type { JobOptions } from "./client-options.ts";

/** The batch id of a batch call: the given one (checked) or a new one. */
export function batchId(opts: { batch?: string }, what: string): string {
  const batch = opts.batch ?? newId();
  checkToken(what, "batch", batch);
  return batch;
}

/** Refuse a value that is not a subject-safe token, naming the call and the field. */
export function checkToken(what: string, field: string, value: unknown): void {
  if (typeof value !== "string") throw new InputError(`${what}: ${field} must be a string (got ${typeof value})`);
  const p = tokenProblem(value);
  if (p) throw new InputError(`${what}: ${field} "${value}" ${p}`);
}

// The submit path's messages speak to the CLI's user (`--create`); a library caller has an option instead.
export function forLibrary(err: unknown): never {
  if (err instanceof InputError && err.message.includes("--create")) {
    throw new InputError(
      err.message
        .replace(/start a worker that has it \(plugins: docctl worker --plugins DIR\), tell the manager \(docctl manager --handlers [^)]*\), or submit with --create to queue it anyway\./, "start a Worker that has it, or pass `create: true` to queue it anyway.")
        .replace(/add with --create/, "pass `create: true`"),
      { cause: err },
    );
  }
  throw err;
}

/** One planned job from the library's options, checked (InputError naming what is wrong). */
export function job(handler: string, id: string, payload: unknown, o: Pick<JobOptions, "attempts" | "attemptTimeoutMs" | "delay" | "runAt" | "priority" | "backoff" | "keepResult" | "keepFailed">): PlannedJob {
  checkToken("submit", "handler", handler);
  if (o.priority !== undefined && !PRIORITIES.includes(o.priority)) throw new InputError(`priority must be one of ${PRIORITIES.join(", ")} (got ${JSON.stringify(o.priority)})`);
  if (o.delay !== undefined && o.runAt !== undefined) throw new InputError("give delay or runAt, not both");
  let delay_ms: number | undefined;
  try {
    delay_ms = o.delay === undefined ? undefined : typeof o.delay === "number" ? o.delay : parseDuration(o.delay, "delay");
  } catch (err) {
    throw new InputError((err as Error).message, { cause: err });
  }
  if (delay_ms !== undefined && !(Number.isFinite(delay_ms) && delay_ms >= 0)) throw new InputError(`delay must be a duration of at least 0 (got ${o.delay})`);
  const run_at = o.runAt === undefined ? undefined : typeof o.runAt === "number" ? o.runAt : o.runAt.getTime();
  if (run_at !== undefined && !(Number.isFinite(run_at) && run_at >= Date.now())) throw new InputError(`runAt ${new Date(run_at).toISOString?.() ?? run_at} is in the past; give a future time, or leave it out to run at once`);
  const keep = (v: number | string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const ms = typeof v === "number" ? v : parseDuration(v, name);
    if (!(Number.isFinite(ms) && ms >= 1000)) throw new InputError(`${name} must be at least 1 s (got ${v})`);
    return Math.round(ms);
  };
  let backoff: BackoffV1 | undefined;
  if (o.backoff !== undefined) {
    try {
      backoff = parseBackoff(o.backoff, "backoff");
    } catch (err) {
      throw new InputError((err as Error).message);
    }
  }
  return {
    handler,
    id,
    payload,
    attempts: o.attempts,
    timeout_ms: o.attemptTimeoutMs,
    priority: o.priority === "normal" ? undefined : o.priority,
    delay_ms: delay_ms || undefined,
    run_at,
    backoff,
    keep_result_ms: keep(o.keepResult, "keepResult"),
    keep_failed_ms: keep(o.keepFailed, "keepFailed"),
  };
}

// The plan's longest wait, checked against the delayed stream's retention at submit.
export function times(jobs: PlannedJob[]): Pick<SubmitPlan, "longestDelayMs" | "latestRunAt"> {
  const out: Pick<SubmitPlan, "longestDelayMs" | "latestRunAt"> = {};
  for (const j of jobs) {
    if (j.delay_ms) out.longestDelayMs = Math.max(out.longestDelayMs ?? 0, j.delay_ms);
    if (j.run_at !== undefined) out.latestRunAt = Math.max(out.latestRunAt ?? 0, j.run_at);
  }
  return out;
}
