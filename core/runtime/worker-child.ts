// One proc under `docctl worker`: the single-process worker (proc.ts) plus the IPC bridge to the
// supervisor, and the recycling (--max-jobs, --max-lifetime) that the supervisor must know about.
import { attachProcBridge, type BridgedLoop } from "./proc-bridge.ts";
import { RECYCLE_EXIT_CODE, type ProcStats } from "./ipc.ts";
import { runWorkerProc, type WorkerProcOptions } from "./proc.ts";
import type { WorkerLoop } from "./worker-loop.ts";

export interface WorkerChildOptions extends Omit<WorkerProcOptions, "until" | "onStarted"> {}

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
      loop?.pause();
    },
    resume() {
      pauseWanted = false;
      loop?.resume();
    },
    drain: () => stop("drain requested by the supervisor"),
    stats: (): ProcStats => (loop ? loop.stats() : { state: "starting", jobsDone: 0, jobsFailed: 0, inFlight: [] }),
  };
  const bridge = attachProcBridge(proxy, { onParentGone: () => stop("supervisor gone") });

  let recycling: string | null = null;
  const recycle = (why: string) => {
    if (recycling) return;
    recycling = why;
    bridge.recycle(why);
    stop(why);
  };
  let finished = 0;
  const lifetime = o.maxLifetimeMs ? setTimeout(() => recycle(`lifetime of ${o.maxLifetimeMs}ms reached (--max-lifetime)`), o.maxLifetimeMs) : null;

  try {
    const code = await runWorkerProc({
      ...o,
      // Recycling is done here rather than in runWorkerProc so the parent hears about it.
      maxJobs: undefined,
      maxLifetimeMs: undefined,
      until,
      loop: {
        ...o.loop,
        onJobFinished: (r) => {
          o.loop?.onJobFinished?.(r);
          if (o.maxJobs && ++finished >= o.maxJobs) recycle(`${finished} jobs done (--max-jobs ${o.maxJobs})`);
        },
      },
      onStarted: (l) => {
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
    process.off("SIGHUP", ignoreHup);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
