// What a submit is told (options, defaults) and what it hands back (results in order, the summary).
import type { ProgressV1, ResultV1 } from "../protocol/codec.ts";
import type { TopologyOptions } from "../nats/topology.ts";

/** How the runtime runs one submit (the CLI and the library Client call it); the library's public options are core/lib/client.ts SubmitOptions. */
export interface SubmitRunOptions {
  /** wait for the results (default true); false = fire and forget */
  wait?: boolean;
  /** give up waiting after this many ms (default 5 min) */
  timeoutMs?: number;
  /** write documents named by results into this directory (as they arrive) */
  outDir?: string;
  /** stop waiting at the first failed result */
  failFast?: boolean;
  /**
   * jobs submitted but not yet handed out in order, at most (default 4096): bounds the submitter's
   * memory whatever the batch size; the next job is published when the oldest one's result is out
   */
  window?: number;
  /**
   * called as results and progress reports arrive; `partial` is the sum of the reported fractions
   * (0..1) of jobs still running, so `done + partial` moves with long jobs' progress
   */
  onProgress?(p: { done: number; failed: number; total: number; partial: number }): void;
  /** called with each progress report of a running job of this submit (ctx.progress in the handler) */
  onJobProgress?(p: ProgressV1): void;
  /** called for each result as it arrives (arrival order) */
  onResult?(r: CollectedResult, index: number): void;
  /** called for each job once JetStream has stored it (or found it a duplicate) */
  onPublished?(id: string, index: number, duplicate: boolean): void;
  /** queue jobs for handlers the fleet does not know yet (no worker or manager registered them); default false: refused as a likely typo */
  create?: boolean;
  /**
   * when the connection to NATS is lost, how long to wait for it to come back before giving up with
   * what has arrived (`lost` in the summary), ms; default: keep trying until `timeoutMs`
   */
  lostGraceMs?: number;
  /** stream limits to create the streams with, when they do not exist yet */
  topology?: Partial<TopologyOptions>;
}

/** A result, plus where its document was written. */
export type CollectedResult = ResultV1 & { saved_to?: string; save_error?: string };

export interface SubmitOutcome {
  batch: string;
  ids: string[];
  /** in input order; undefined where no result came in time */
  results: (CollectedResult | undefined)[];
  /** jobs JetStream had seen before inside the duplicate window (not run again) */
  duplicates: number;
  timedOut: boolean;
  /** the connection to NATS was lost and did not come back within `lostGraceMs` */
  lost?: boolean;
}

/** One result handed out by a BatchRun, with its job's place in the input. */
export interface OrderedResult {
  index: number;
  result: CollectedResult;
}

/** Where a BatchRun stands; final once its results are all handed out. */
export interface BatchSummary {
  batch: string;
  /** jobs published (stored by JetStream, or found to be duplicates) */
  submitted: number;
  duplicates: number;
  /** results in, failed ones among them */
  done: number;
  failed: number;
  /** jobs published whose result did not come (timeout, --fail-fast) */
  missing: number;
  /** jobs of the plan never published (the run stopped first), when the plan's size is known */
  notSubmitted: number;
  timedOut: boolean;
  /** the connection to NATS was lost and did not come back within `lostGraceMs` */
  lost: boolean;
  /** stopped at a failed result (failFast) */
  stoppedEarly: boolean;
}

export const submitDefaults = { wait: true, timeoutMs: 5 * 60_000, publishWindow: 256, window: 4096, duplicateGraceMs: 1_000 };

/**
 * A batch in flight: `for await (const { index, result } of run)` hands out results in input order
 * as they come in, while jobs are published so that at most `window` are waiting to be handed out.
 * Memory stays bounded by the window, not the batch. `summary()` says where it stands.
 */
export interface BatchRun extends AsyncIterable<OrderedResult> {
  readonly batch: string;
  summary(): BatchSummary;
  /** stop publishing and waiting (the iteration ends) */
  stop(): void;
}
