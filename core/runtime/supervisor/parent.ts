// `docctl worker` as a parent: pid file, supervisor, presence and control, signals and plugin watching.
import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, type NatsAuth } from "../nats/connection.ts";
import { ControlPlane, controlDefaults } from "./control-plane.ts";
import { acquirePidFile, pidAlive, type PidFile } from "./pidfile.ts";
import { procPolicyDefaults, type ProcPolicy } from "./proc-state.ts";
import { selfCommand } from "./proc-spawn.ts";
import { Supervisor, supervisorDefaults, type SlotSpec } from "./supervisor.ts";
import type { Logger } from "../protocol/logger.ts";
import { watchDir, type DirWatcher } from "./watch.ts";
import { watchdogDefaults, type WatchdogPolicy } from "./watchdog.ts";
import { natsJobKeeper } from "./job-keeper.ts";
import { AttemptNotes } from "../nats/attempt-notes.ts";
import { BUCKET_ATTEMPTS, BUCKET_WORKERS, controlSubject } from "../protocol/subjects.ts";

export interface WorkerParentOptions {
  natsUrl: string;
  /** credentials and TLS for the supervisor's own connection (procs get theirs through the environment) */
  natsAuth?: NatsAuth;
  /** worker id (subject-safe token): presence key and control subject */
  id: string;
  /** general procs */
  procs: number;
  /** handler → dedicated procs */
  dedicated: Record<string, number>;
  /** the arguments (after the program) of the proc in `slot` */
  childArgs(slot: SlotSpec): string[];
  /** the program: this binary (or bun + script) by default; tests put a stand-in here */
  program?: string[];
  policy: ProcPolicy;
  /** when a proc whose event loop stops answering is killed */
  watchdog: WatchdogPolicy;
  drainTimeoutMs: number;
  readyTimeoutMs: number;
  /** refuse to start if a live process owns it; removed on exit */
  pidFile?: string;
  /** drain and exit when this process is gone (a manager that started this worker in its own process group) */
  exitWithPid?: number;
  /** roll the procs over when a file under one of these directories changes */
  watch?: string | string[];
  /** quiet time after the last change before the rollover, ms */
  watchDebounceMs: number;
  version: string;
  labels: Record<string, string>;
  /** the job types the procs serve, written into the presence entry */
  handlers?: string[];
  presenceTtlMs: number;
  presenceRefreshMs: number;
  /** handle SIGTERM/SIGINT/SIGHUP (off in tests that drive the parent from code) */
  signals: boolean;
  forwardOutput: boolean;
  log: Logger;
}

export const workerParentDefaults = {
  procs: 1,
  dedicated: {} as Record<string, number>,
  policy: procPolicyDefaults,
  watchdog: watchdogDefaults,
  drainTimeoutMs: supervisorDefaults.drainTimeoutMs,
  readyTimeoutMs: supervisorDefaults.readyTimeoutMs,
  watchDebounceMs: 300,
  labels: {} as Record<string, string>,
  presenceTtlMs: controlDefaults.presenceTtlMs,
  presenceRefreshMs: controlDefaults.refreshMs,
  signals: true,
  forwardOutput: true,
};

/** A running worker parent, for code that drives it (tests, an embedded manager). */
export interface WorkerParent {
  supervisor: Supervisor;
  control: ControlPlane;
  /** drain everything, then clean up; resolves with the exit code */
  stop(): Promise<number>;
  /** resolves with the exit code once the worker has stopped (signal, control drain or stop()) */
  done: Promise<number>;
}

/** Start the parent; resolves once procs are spawned and presence is written. */
export async function startWorkerParent(opts: Partial<WorkerParentOptions> & Pick<WorkerParentOptions, "natsUrl" | "id" | "childArgs" | "version" | "log">): Promise<WorkerParent> {
  const o: WorkerParentOptions = { ...workerParentDefaults, ...opts };
  const log = o.log;
  const pid: PidFile | null = o.pidFile ? acquirePidFile(o.pidFile) : null;
  if (pid?.tookOverFrom) log.warn(`--pid-file ${pid.path}: taken over (${pid.tookOverFrom})`);
  let nc: NatsConnection;
  try {
    nc = await connectNats({ url: o.natsUrl, auth: o.natsAuth, name: `docctl worker ${o.id} (supervisor)`, reconnectForever: true });
  } catch (err) {
    pid?.release();
    throw err;
  }
  const program = o.program ?? selfCommand();
  let control: ControlPlane | null = null;
  // Where the watchdog and crash handling note how attempts ended (read by loops on redeliveries).
  const notes = await AttemptNotes.open(nc, { create: true }).catch((err) => {
    log.warn(`attempt notes (KV ${BUCKET_ATTEMPTS}) unavailable, crashes will count as attempts: ${(err as Error).message}`);
    return undefined;
  });
  let allFatal: string | null = null;
  const sup = new Supervisor({
    procs: o.procs,
    dedicated: o.dedicated,
    command: (slot) => [...program, ...o.childArgs(slot)],
    policy: o.policy,
    drainTimeoutMs: o.drainTimeoutMs,
    readyTimeoutMs: o.readyTimeoutMs,
    forwardOutput: o.forwardOutput,
    log,
    workerId: o.id,
    onChange: () => control?.changed(),
    watchdog: o.watchdog,
    keeper: natsJobKeeper(nc, notes, o.id, log),
    // Nothing can serve: exit non-zero naming the cause, so systemd restarts the worker and a manager
    // stops counting it as capacity, instead of a worker that says "running" with zero procs.
    onAllFatal: (report) => {
      if (allFatal) return;
      allFatal = report;
      log.error(`worker ${o.id} exits: ${report}. Fix the cause, then start it again.`);
      void finish();
    },
  });

  let watchers: DirWatcher[] = [];
  let finishing: Promise<number> | null = null;
  let forced = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const onTerm = (sig: string) => () => {
    if (finishing) {
      log.warn(`${sig} again: stopping now; in-flight jobs will be redelivered by JetStream`);
      forced = true;
      sup.kill();
      return;
    }
    log.startup(`${sig}: draining (send it again to stop at once)`);
    void finish();
  };
  const onTermSig = onTerm("SIGTERM");
  const onIntSig = onTerm("SIGINT");
  const onHup = () => {
    log.startup("SIGHUP: rolling the procs over");
    void sup.rollover("SIGHUP");
  };
  // logrotate signals the parent (the pid file's pid): pass it on so every proc reopens --log-file.
  const onUsr1 = () => {
    for (const p of sup.status().procs) if (p.pid) process.kill(p.pid, "SIGUSR1");
  };

  // Started detached by a manager (`docctl up`): no terminal signal reaches us, so follow that process.
  const orphanCheck = o.exitWithPid
    ? setInterval(() => {
        if (pidAlive(o.exitWithPid!)) return;
        log.warn(`the process that started this worker (pid ${o.exitWithPid}) is gone: draining`);
        void finish();
      }, 1000)
    : null;

  const finish = (): Promise<number> => {
    if (finishing) return finishing;
    finishing = (async () => {
      if (orphanCheck) clearInterval(orphanCheck);
      for (const w of watchers) w.close();
      await sup.drain();
      await control?.stop();
      // already closed (NATS went away for good during the stop): nothing left to drain
      await nc.drain().catch(() => {});
      pid?.release();
      if (o.signals) {
        process.off("SIGTERM", onTermSig);
        process.off("SIGINT", onIntSig);
        process.off("SIGHUP", onHup);
        process.off("SIGUSR1", onUsr1);
      }
      // Like a single proc stopped by a second signal: 130 tells an init system the stop was not clean.
      const code = allFatal ? 1 : forced ? 130 : 0;
      log.startup(`worker ${o.id} stopped${forced ? " (forced)" : allFatal ? " (every proc FATAL)" : ""}`);
      resolveDone(code);
      return code;
    })();
    return finishing;
  };

  try {
    control = new ControlPlane({
      nc,
      id: o.id,
      host: hostname(),
      pid: process.pid,
      version: o.version,
      startedAt: Date.now(),
      labels: o.labels,
      handlers: o.handlers,
      presenceTtlMs: o.presenceTtlMs,
      refreshMs: o.presenceRefreshMs,
      log,
      target: {
        status: () => sup.status(),
        pause: () => {
          log.startup("control: pause");
          return sup.pause();
        },
        resume: () => {
          log.startup("control: resume");
          sup.resume();
        },
        drain: (timeoutMs) => {
          // a manager's drain bound wins over this worker's shorter one: a scale-in never cuts a job sooner
          if (timeoutMs !== undefined && timeoutMs > sup.drainTimeoutMs) sup.drainTimeoutMs = timeoutMs;
          log.startup(`control: drain (jobs in flight get up to ${Math.round(sup.drainTimeoutMs / 1000)}s)`);
          void finish();
        },
      },
    });
    if (o.signals) {
      process.on("SIGTERM", onTermSig);
      process.on("SIGINT", onIntSig);
      process.on("SIGHUP", onHup);
      process.on("SIGUSR1", onUsr1);
    }
    // Control first: an id already in use by a live worker fails the start before any proc is spawned.
    await control.start();
    sup.start();
    if (o.watch) {
      watchers = (typeof o.watch === "string" ? [o.watch] : o.watch).map((dir) =>
        watchDir(dir, o.watchDebounceMs, (files) => {
          log.startup(`plugin change (${files.slice(0, 5).join(", ")}${files.length > 5 ? " ..." : ""}): rolling the procs over`);
          void sup.rollover("plugin change");
        }),
      );
    }
  } catch (err) {
    await finish();
    throw err;
  }
  log.startup(`worker ${o.id} up: presence in ${BUCKET_WORKERS}, control on ${controlSubject(o.id, ">")}`);
  return { supervisor: sup, control: control!, stop: finish, done };
}

/** Run the parent until it stops; resolves with the exit code. */
export async function runWorkerParent(opts: Parameters<typeof startWorkerParent>[0]): Promise<number> {
  const p = await startWorkerParent(opts);
  return await p.done;
}
