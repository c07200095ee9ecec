// One call of a handler: its JobContext (ctx.output, ctx.log, ctx.progress, heartbeat), run under its
// time limit, timed for the lookahead, and what it threw turned into a wire error with its stack.
import type { JobV1 } from "../protocol/codec.ts";
import { ErrorCodes, handlerStack, toWireError, type WireError } from "../protocol/errors.ts";
import type { JobContext, OutputRefV1 } from "../protocol/types.ts";
import type { JobMsg } from "../nats/job-msg.ts";
import type { Logger } from "../util/log.ts";
import type { RegisteredHandler } from "./registry.ts";
import type { JobRecorder } from "./job-record.ts";
import type { JobTimes } from "./lookahead.ts";
import type { OutputStore } from "./output-store.ts";
import type { ProgressReporter } from "./progress-reporter.ts";
import { runWithinLimit, watchGrace } from "./time-limit.ts";

/** How a handler call ended: its value and document, or the error it threw (or its limit's). */
export type HandlerRun = { ok: true; value: unknown; output?: OutputRefV1 } | { ok: false; error: WireError; stack?: string };

/** What every call of a loop shares. */
export interface HandlerRunner {
  workerId: string;
  /** the proc's log (the stuck line goes there) */
  log: Logger;
  outputs: OutputStore;
  recorder: JobRecorder;
  progress: ProgressReporter;
  jobTimes: JobTimes;
  /** how long a handler may run on after its TIMEOUT or CANCELLED before it counts as stuck */
  cancelGraceMs?: number;
  onCancelIgnored?: (j: { id: string; handler: string; why: string }) => void;
}

/** One call: the job, its attempt, its limit and signal, the message (for heartbeats) and the job's log. */
export interface HandlerCall {
  reg: RegisteredHandler;
  job: JobV1;
  /** the job's key in the loop's in-flight map (progress reports) */
  key: string;
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  abort: AbortController;
  msg: JobMsg;
  log: Logger;
}

/** Runs the handler under its time limit (heartbeats come from the loop's ticker). */
export async function runHandler(r: HandlerRunner, c: HandlerCall): Promise<HandlerRun> {
  const { job, log } = c;
  let output: OutputRefV1 | undefined;
  const ctx: JobContext = {
    id: job.id,
    batch: job.batch,
    handler: job.handler,
    attempt: c.attempt,
    maxAttempts: c.maxAttempts,
    signal: c.abort.signal,
    heartbeat: () => c.msg.working(),
    output: async (bytes, opts) => (output = await r.outputs.store(job, bytes, opts)),
    log: r.recorder.jobLog(log, job, c.attempt),
    worker: r.workerId,
    progress: (p) => r.progress.report(c.key, job, p),
  };
  try {
    const h0 = Date.now();
    const value = await runWithinLimit(() => c.reg.def.handle(job.payload, ctx), c.timeoutMs, c.abort, (running, why) => watchStuck(r, running, job, why));
    r.jobTimes.add(job.handler, Date.now() - h0);
    log.trace(`handler returned in ${Date.now() - h0}ms`);
    return { ok: true, value, output };
  } catch (err) {
    const error = toWireError(err);
    // where it threw, for whoever debugs the handler: the worker log at -vv, and the dead letter
    const stack = error.code === ErrorCodes.CANCELLED || error.code === ErrorCodes.TIMEOUT ? undefined : handlerStack(err);
    if (stack) log.proc(`handler threw ${error.code}: ${error.message}\n${stack.replace(/^/gm, "    ")}`);
    return { ok: false, error, stack };
  }
}

// A handler still running past the grace after its TIMEOUT or CANCELLED: stuck. Said so, and handed
// to the supervisor, which ends the proc (its other jobs come back uncharged).
function watchStuck(r: HandlerRunner, running: Promise<unknown>, job: JobV1, why: string): void {
  const graceMs = r.cancelGraceMs ?? 10_000;
  watchGrace(running, graceMs, () => {
    r.log.error(`[${job.handler}:${job.id}] stuck: the handler ignored its ${why} signal for ${graceMs}ms and is still running`);
    r.onCancelIgnored?.({ id: job.id, handler: job.handler, why });
  });
}
