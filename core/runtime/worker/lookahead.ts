// How many jobs a proc fetches ahead of its free slots: a pure function of a handler's recent job times.

/**
 * Jobs fetched ahead of the free slots while a handler's jobs are short (mean under `belowMs` over its
 * recent jobs, after `afterJobs` of them): at most `max`, never more than the concurrency. Long jobs get
 * none, so a busy proc never sits on a job another proc could start (see docs/worker.md).
 */
export const lookaheadDefaults = { belowMs: 5, afterJobs: 16, max: 8 };

/** How many jobs to fetch ahead: a pure function of the handler's recent job times. */
export function lookahead(o: { concurrency: number; jobs: number; meanMs: number; maxJobs?: number }): number {
  // --max-jobs counts jobs as they arrive; jobs fetched ahead would overshoot it
  if (o.maxJobs || o.jobs < lookaheadDefaults.afterJobs || o.meanMs >= lookaheadDefaults.belowMs) return 0;
  return Math.min(o.concurrency, lookaheadDefaults.max);
}

/** A moving mean of each handler's recent job times (successful runs), for the lookahead. */
export class JobTimes {
  private times = new Map<string, { jobs: number; meanMs: number }>();

  add(handler: string, ms: number): void {
    const t = this.times.get(handler) ?? { jobs: 0, meanMs: ms };
    t.jobs++;
    t.meanMs += (ms - t.meanMs) / Math.min(t.jobs, 32);
    this.times.set(handler, t);
  }

  /** The lookahead of a handler's next pull. */
  lookahead(handler: string, concurrency: number, maxJobs?: number): number {
    const t = this.times.get(handler);
    return lookahead({ concurrency, jobs: t?.jobs ?? 0, meanMs: t?.meanMs ?? Infinity, maxJobs });
  }
}
