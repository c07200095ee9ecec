// The child side of the IPC channel: reports a worker proc's loop to its supervisor and obeys pause/resume/drain.
import { isParentMessage, STATS_INTERVAL_MS, type ChildMessage, type ProcStats } from "./ipc.ts";

/** What the bridge needs from the proc's event loop (WorkerLoop satisfies it). */
export interface BridgedLoop {
  /** resolves once deliveries have stopped */
  pause(): void | Promise<void>;
  resume(): void;
  /** stop pulling, finish in-flight jobs; the proc exits once it resolves */
  drain(): Promise<void> | void;
  stats(): ProcStats;
}

export interface ProcBridge {
  /** tell the parent this proc is serving `handlers` */
  ready(handlers: string[]): void;
  /** tell the parent this proc will exit to be recycled, so it is replaced and not counted as a crash */
  recycle(reason: string): void;
  /** tell the parent the handlers' setup() begins (it times it) */
  setup(): void;
  /** tell the parent a handler is stuck past its signal: it ends this proc */
  stuck(id: string, reason: string): void;
  /** send the stats now */
  report(): void;
  close(): void;
}

function fingerprint(s: ProcStats): string {
  return `${s.state}|${s.inFlight.map((j) => j.id).join(",")}`;
}

/** True when this process was spawned with an IPC channel (i.e. by `docctl worker` as one of its procs). */
export function hasParent(): boolean {
  return typeof process.send === "function";
}

/**
 * Wire `loop` to the parent. When the parent goes away (killed with SIGKILL, say) the proc drains
 * instead of running on as an orphan nobody supervises.
 */
export function attachProcBridge(loop: BridgedLoop, opts: { statsIntervalMs?: number; onParentGone?: () => void } = {}): ProcBridge {
  const send = (m: ChildMessage) => {
    try {
      if (process.connected !== false) process.send?.(m);
    } catch {
      // The channel closed under us: the disconnect handler deals with it.
    }
  };
  let last = "";
  let lastAt = 0;
  const report = () => {
    const stats = loop.stats();
    last = fingerprint(stats);
    lastAt = Date.now();
    send({ t: "stats", stats });
  };
  // Checked often, sent when something a person would see changed (a job started or ended, a state
  // change), and at least every statsIntervalMs: status stays fresh without a message per tick.
  const poll = () => {
    const every = opts.statsIntervalMs ?? STATS_INTERVAL_MS;
    if (Date.now() - lastAt >= every || fingerprint(loop.stats()) !== last) report();
  };
  const onMessage = (m: unknown) => {
    if (!isParentMessage(m)) return;
    if (m.t === "pause") {
      // the supervisor answers `docctl pause` only once every proc says deliveries stopped
      void Promise.resolve(loop.pause()).finally(() => send({ t: "held" }));
    } else if (m.t === "resume") loop.resume();
    else if (m.t === "drain") void loop.drain();
    report();
  };
  const onDisconnect = () => {
    if (opts.onParentGone) opts.onParentGone();
    else void loop.drain();
  };
  process.on("message", onMessage);
  process.on("disconnect", onDisconnect);
  const timer = setInterval(poll, Math.min(250, opts.statsIntervalMs ?? STATS_INTERVAL_MS));
  return {
    ready(handlers) {
      send({ t: "ready", pid: process.pid, handlers });
      report();
    },
    setup() {
      send({ t: "setup" });
    },
    stuck(id, reason) {
      send({ t: "stuck", id, reason });
    },
    recycle(reason) {
      send({ t: "recycle", reason });
    },
    report,
    close() {
      clearInterval(timer);
      process.off("message", onMessage);
      process.off("disconnect", onDisconnect);
    },
  };
}
