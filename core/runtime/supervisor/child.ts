// One proc under `docctl worker`: the single-process worker (proc.ts) plus the IPC bridge to the
// supervisor, and the recycling (--max-jobs, --max-lifetime) that the supervisor must know about.
import { attachProcBridge, hasParent, type BridgedLoop } from "./proc-bridge.ts";
import { RECYCLE_EXIT_CODE, type ProcStats } from "./ipc.ts";
import { jitteredLifetime } from "./recycle.ts";
import { JOB_FILE_ENV, JobFileWriter } from "./job-file.ts";
import { runWorkerProc, type WorkerProcOptions } from "../worker/proc.ts";
import { waitForNats, type NatsAuth } from "../nats/connection.ts";
import type { Logger } from "../util/log.ts";
import type { WorkerLoop } from "../worker/loop.ts";

export interface WorkerChildOptions extends Omit<WorkerProcOptions, "until"> {
  /** how long the proc may drain once its supervisor is gone before it exits anyway (the supervisor's --drain-timeout), ms */
  orphanGraceMs?: number;
}

/**
 * Run the proc until the parent asks it to drain, a signal comes, the parent goes away, or it is due
 * for recycling. Resolves with the exit code: RECYCLE_EXIT_CODE after a recycle, so the parent
 * replaces it at once even if the IPC notice was lost.
 */
export async function runWorkerChild(o: WorkerChildOptions): Promise<number> {
  // Rollovers are the parent's business; a terminal hangup reaches the whole process group.
  const ignoreHup = () => {};
  process.on("SIGHUP", ignoreHup);

  let stop!: (why: string) => void;
  const until = new Promise<string>((r) => (stop = r));
  const onSignal = () => stop("signal");
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);

  // The bridge is attached before the loop exists, so a drain or pause sent while the proc is still
  // connecting is not lost; it is applied once the loop runs.
  let loop: WorkerLoop | null = null;
  let pauseWanted = false;
  const proxy: BridgedLoop = {
    pause() {
      pauseWanted = true;
      // not running yet: it starts paused (below), so nothing is delivered
      return loop?.pause();
    },
    resume() {
      pauseWanted = false;
      loop?.resume();
    },
    drain: () => stop("drain requested by the supervisor"),
    stats: (): ProcStats => {
      if (!loop) return { state: "starting", jobsDone: 0, jobsFailed: 0, inFlight: [] };
      const s = loop.stats();
      // with each report (every second at least) the job file is brought up to date too: a job that
      // ended without onJobFinished (a retry's nak) does not linger in it
      jobFile?.write(s.inFlight);
      return s;
    },
  };
  // An orphan drains like a proc told to, but nobody will SIGKILL it if a job never ends (NATS gone, a
  // handler stuck): after the supervisor's drain timeout it exits; its jobs are redelivered.
  const bridge = attachProcBridge(proxy, {
    onParentGone: () => {
      stop("supervisor gone");
      const grace = o.orphanGraceMs ?? 30_000;
      setTimeout(() => {
        o.log.warn(`supervisor gone and jobs still running after ${grace}ms: exiting; JetStream redelivers them`);
        process.exit(1);
      }, grace).unref();
    },
  });

  // where the supervisor's watchdog finds the jobs in flight when the proc goes silent (see job-file.ts)
  const jobFilePath = process.env[JOB_FILE_ENV];
  const jobFile = jobFilePath ? new JobFileWriter(jobFilePath) : null;

  let recycling: string | null = null;
  const recycle = (why: string) => {
    if (recycling) return;
    recycling = why;
    bridge.recycle(why);
    stop(why);
  };
  let finished = 0;
  // Jittered: procs started together (a worker's start, a rollover) would otherwise all recycle at
  // once, leaving seconds with nobody pulling.
  const lifetimeMs = o.maxLifetimeMs ? jitteredLifetime(o.maxLifetimeMs, Math.random()) : 0;
  const lifetime = o.maxLifetimeMs
    ? setTimeout(() => recycle(`lifetime of ${lifetimeMs}ms reached (--max-lifetime), ${o.maxLifetimeMs}ms less jitter`), lifetimeMs)
    : null;

  try {
    // A proc (re)started while NATS is away waits for it instead of dying at once: dying would count
    // as a fast death and a NATS restart would leave every recycled proc FATAL.
    if (!(await natsOrStop(o.natsUrl, o.natsAuth, until, o.log))) return 0;
    const code = await runWorkerProc({
      ...o,
      // Recycling is done here rather than in runWorkerProc so the parent hears about it.
      maxJobs: undefined,
      maxLifetimeMs: undefined,
      until,
      loop: {
        ...o.loop,
        maxJobs: o.maxJobs,
        onJobStarted: (j) => {
          o.loop?.onJobStarted?.(j);
          jobFile?.started(j);
        },
        onJobFinished: (r) => {
          o.loop?.onJobFinished?.(r);
          jobFile?.finished(r.id);
          if (o.maxJobs && ++finished >= o.maxJobs) recycle(`${finished} jobs done (--max-jobs ${o.maxJobs})`);
        },
        // a cancelled job's handler still running past the grace: end this proc (its other jobs drain),
        // the supervisor starts a fresh one
        // (after TIMEOUT or CANCELLED): the supervisor ends it at once (SIGKILL) and hands its other
        // jobs back uncharged; without a supervisor, recycling at least stops new jobs coming here
        onCancelIgnored: (j) => {
          o.loop?.onCancelIgnored?.(j);
          const why = `the handler of job ${j.id} (${j.handler}) ignored its ${j.why ?? "CANCELLED"} signal past the grace`;
          if (hasParent()) bridge.stuck(j.id, why);
          else recycle(why);
        },
        onSetupStart: () => {
          o.loop?.onSetupStart?.();
          bridge.setup();
        },
      },
      onStarted: (l, nc) => {
        o.onStarted?.(l, nc);
        loop = l;
        if (pauseWanted) l.pause();
        bridge.ready(o.registry.names());
      },
    });
    bridge.report();
    return recycling ? RECYCLE_EXIT_CODE : code;
  } finally {
    if (lifetime) clearTimeout(lifetime);
    bridge.close();
    jobFile?.close();
    process.off("SIGHUP", ignoreHup);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

/** Resolves true once NATS accepts a connection (a line per try, with backoff), false if `stop` came first. */
async function natsOrStop(url: string, auth: NatsAuth | undefined, stop: Promise<unknown>, log: Logger): Promise<boolean> {
  const ac = new AbortController();
  void stop.then(() => ac.abort());
  return await waitForNats({ url, auth, name: "docctl worker (probe)" }, log, ac.signal);
}
