// The worker supervisor: keeps N procs (plus dedicated ones) running, restarts them with backoff, marks
// the hopeless FATAL, recycles, rolls them over one by one and drains them. Decisions come from
// proc-state.ts; this file only spawns, times and signals.
import { procPolicyDefaults, transition, newProc, type ExitInfo, type ProcEvent, type ProcMachine, type ProcPolicy, type ProcState } from "./proc-state.ts";
import { RECYCLE_EXIT_CODE, type ChildMessage, type ProcStats } from "./ipc.ts";
import { spawnProc, type SpawnedProc } from "./proc-spawn.ts";
import { UNRESPONSIVE_AFTER_MS, jobFates, watchdogDefaults, watchdogVerdict, type WatchdogPolicy } from "./watchdog.ts";
import type { JobKeeper } from "./job-keeper.ts";
import { JOB_FILE_ENV, JobFileReader, jobFilePath } from "./job-file.ts";
import type { JobProgressV1 } from "../protocol/control.ts";

/** One place a proc runs in: general (serves every handler) or dedicated to one handler. */
export interface SlotSpec {
  /** `proc-1` for general procs, `<handler>-1` for dedicated ones */
  name: string;
  /** only this handler, or null for all the worker serves */
  handler: string | null;
}

/** The subset of the project logger the supervisor writes to. */
export interface SupervisorLog {
  error(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  /** startup and shutdown */
  startup(...a: unknown[]): void;
  /** proc started, exited, restarted */
  proc(...a: unknown[]): void;
}

export interface SupervisorOptions {
  /** general procs (serving every handler) */
  procs: number;
  /** handler → number of procs that serve only it */
  dedicated: Record<string, number>;
  /** the argv of the proc for `slot` */
  command(slot: SlotSpec): string[];
  /** extra environment for the proc of `slot` */
  env?(slot: SlotSpec): Record<string, string | undefined>;
  /** fast-death, FATAL and backoff rules */
  policy: ProcPolicy;
  /** after a drain is asked, procs still running this long are killed with SIGKILL, ms */
  drainTimeoutMs: number;
  /** during a rollover, how long a new proc may take to be ready before the rollover is abandoned, ms */
  readyTimeoutMs: number;
  /** copy the procs' stdout/stderr to ours */
  forwardOutput: boolean;
  /** stderr lines quoted when a proc goes FATAL */
  stderrTailLines: number;
  log: SupervisorLog;
  /** the worker id, for the commands quoted in messages (`docctl resume <id>`) */
  workerId?: string;
  /** called after anything in the status changed (presence refresh hooks here) */
  onChange?(): void;
  /** when a proc that stops answering is killed (watchdog) */
  watchdog: WatchdogPolicy;
  /** holds a stalled proc's jobs and hands back those of a proc that ended with jobs in flight (NATS side) */
  keeper?: JobKeeper;
  /** every proc is FATAL: nothing can serve (the worker exits, so an init system or the manager sees it) */
  onAllFatal?(report: string): void;
}

export const supervisorDefaults: Omit<SupervisorOptions, "command" | "log"> = {
  procs: 1,
  dedicated: {},
  policy: procPolicyDefaults,
  drainTimeoutMs: 30_000,
  readyTimeoutMs: 60_000,
  forwardOutput: true,
  stderrTailLines: 20,
  watchdog: watchdogDefaults,
};

export interface ProcStatus {
  name: string;
  handler: string | null;
  pid: number | null;
  state: ProcState;
  /** the proc's event-loop state as it last reported it */
  /** "unresponsive" while a live proc's event loop has not answered for a while (the watchdog is timing it) */
  loop: ProcStats["state"] | "unresponsive" | null;
  restarts: number;
  jobsDone: number;
  jobsFailed: number;
  inFlight: { id: string; handler: string; ageMs: number; batch?: string; attempt?: number; startedAt?: number; progress?: JobProgressV1 }[];
  startedAt: number | null;
  lastExit: ExitInfo | null;
}

export type SupervisorState = "idle" | "running" | "paused" | "draining" | "stopped";

export interface SupervisorStatus {
  state: SupervisorState;
  procs: ProcStatus[];
}

interface ProcRecord {
  slot: SlotSpec;
  m: ProcMachine;
  child: SpawnedProc | null;
  timer: ReturnType<typeof setTimeout> | null;
  stats: ProcStats | null;
  /** jobs done by earlier children in this record (restarts, recycles) */
  doneBefore: number;
  failedBefore: number;
  /** stderr tail of the last child that exited (for the FATAL report) */
  lastTail?: string[];
  /** when the child last sent anything (its event loop was alive then) */
  heardAt: number;
  /** why the watchdog killed the current child */
  killedBy: string | null;
  /** jobs started since the child's last stats, as its job file tells (read once it goes silent) */
  started: ProcStats["inFlight"];
  /** the child's job file (the job it started last) */
  jobFile: JobFileReader | null;
  /** whether the job file was read during this silence */
  jobFileRead?: boolean;
  /** whether status() last showed it unresponsive (a change is published at once) */
  silent?: boolean;
}

// The jobs a proc runs as far as its supervisor knows: its last stats plus the starts it announced since.
function knownInFlight(r: ProcRecord): ProcStats["inFlight"] {
  const base = r.stats?.inFlight ?? [];
  return r.started.length ? [...base, ...r.started.filter((j) => !base.some((b) => b.id === j.id))] : base;
}

/** Expands `procs` and `dedicated` into the list of slots. */
export function slotsFor(procs: number, dedicated: Record<string, number>): SlotSpec[] {
  const out: SlotSpec[] = [];
  for (let i = 1; i <= procs; i++) out.push({ name: `proc-${i}`, handler: null });
  for (const [handler, n] of Object.entries(dedicated)) for (let i = 1; i <= n; i++) out.push({ name: `${handler}-${i}`, handler });
  return out;
}

export class Supervisor {
  #o: SupervisorOptions;
  #recs: ProcRecord[] = [];
  #state: SupervisorState = "idle";
  #paused = false;
  #listeners = new Set<() => void>();
  #draining: Promise<void> | null = null;
  #rolling: Promise<void> | null = null;
  #rollAgain = false;
  #dog: ReturnType<typeof setInterval> | null = null;
  #fatalReports = new Map<string, string>();
  #spawned = 0;
  /** hand-backs under way (notes and naks of a gone proc's jobs): a drain waits for them before NATS closes */
  #handBacks = new Set<Promise<void>>();

  constructor(opts: Partial<SupervisorOptions> & Pick<SupervisorOptions, "command" | "log">) {
    this.#o = { ...supervisorDefaults, ...opts };
  }

  /** Spawn every proc. Resolves at once; watch `status()` or use `waitFor` to see them ready. */
  start(): void {
    if (this.#state !== "idle") return;
    this.#state = "running";
    const slots = slotsFor(this.#o.procs, this.#o.dedicated);
    this.#o.log.startup(`starting ${slots.length} procs: ${slots.map((s) => s.name + (s.handler ? ` (only ${s.handler})` : "")).join(", ")}`);
    for (const slot of slots) this.#dispatch(this.#add(slot), { type: "start", now: Date.now() });
    this.#dog = setInterval(() => this.#watch(), 250);
  }

  /** Every proc finishes its in-flight jobs and pulls no more. */
  pause(): void {
    if (this.#state !== "running" && this.#state !== "paused") return;
    this.#paused = true;
    this.#state = "paused";
    for (const r of this.#recs) r.child?.send({ t: "pause" });
    this.#changed();
  }

  /** Pull again, and give FATAL procs a fresh start. */
  resume(): void {
    if (this.#state !== "running" && this.#state !== "paused") return;
    this.#paused = false;
    this.#state = "running";
    for (const r of this.#recs) {
      if (r.m.state === "FATAL") {
        this.#o.log.startup(`${r.slot.name}: restarting after FATAL (resume)`);
        this.#dispatch(r, { type: "start", now: Date.now() });
      } else r.child?.send({ t: "resume" });
    }
    this.#changed();
  }

  /** Stop: every proc stops pulling, finishes in-flight jobs and exits; SIGKILL after drainTimeoutMs. */
  drain(): Promise<void> {
    if (this.#draining) return this.#draining;
    if (this.#state === "idle") this.#state = "stopped";
    if (this.#state === "stopped") return Promise.resolve();
    this.#state = "draining";
    this.#o.log.startup(`draining ${this.#recs.length} procs (SIGKILL after ${this.#o.drainTimeoutMs}ms)`);
    for (const r of [...this.#recs]) this.#dispatch(r, { type: "drain", now: Date.now(), intent: "stop" });
    this.#draining = (async () => {
      const clean = await this.waitFor(() => this.#recs.length === 0, this.#o.drainTimeoutMs);
      if (!clean) {
        for (const r of this.#recs) {
          const jobs = r.stats?.inFlight.map((j) => `${j.handler}/${j.id}`).join(", ") || "none reported";
          this.#o.log.warn(`${r.slot.name} (pid ${r.child?.pid}) still running after ${this.#o.drainTimeoutMs}ms: SIGKILL; JetStream redelivers its jobs (${jobs})`);
        }
        this.kill();
        await this.waitFor(() => this.#recs.length === 0, 10_000);
      }
      await Promise.allSettled([...this.#handBacks]);
      this.#state = "stopped";
      if (this.#dog) clearInterval(this.#dog);
      this.#dog = null;
      this.#changed();
    })();
    return this.#draining;
  }

  /** Stop at once (second signal): SIGKILL every proc; their jobs are redelivered. */
  kill(): void {
    if (this.#state !== "draining") void this.drain();
    for (const r of this.#recs) r.child?.kill("SIGKILL");
  }

  /** Resolves once drain() has finished. */
  async stopped(): Promise<void> {
    await this.waitFor(() => this.#state === "stopped", Number.MAX_SAFE_INTEGER);
  }

  /**
   * Replace every proc, one at a time: start the new one, wait for its ready, then drain the old one,
   * so there is never a moment with none running. A new proc that never gets ready stops the rollover
   * and leaves the old ones serving. Calls during a rollover queue one more.
   */
  rollover(reason: string): Promise<void> {
    if (this.#rolling) {
      this.#rollAgain = true;
      return this.#rolling;
    }
    this.#rolling = (async () => {
      do {
        this.#rollAgain = false;
        await this.#rollOnce(reason);
      } while (this.#rollAgain && this.#live());
    })().finally(() => {
      this.#rolling = null;
    });
    return this.#rolling;
  }

  status(): SupervisorStatus {
    const now = Date.now();
    return {
      state: this.#state,
      procs: this.#recs.map((r) => ({
        name: r.slot.name,
        handler: r.slot.handler,
        pid: r.child?.pid ?? null,
        state: r.m.state,
        loop: r.child && (r.m.state === "RUNNING" || r.m.state === "DRAINING") && now - r.heardAt > UNRESPONSIVE_AFTER_MS ? "unresponsive" : (r.stats?.state ?? null),
        restarts: r.m.restarts,
        jobsDone: r.doneBefore + (r.stats?.jobsDone ?? 0),
        jobsFailed: r.failedBefore + (r.stats?.jobsFailed ?? 0),
        inFlight: (r.stats?.inFlight ?? []).map((j) => ({
          id: j.id,
          handler: j.handler,
          ageMs: Math.max(0, now - j.startedAt),
          batch: j.batch,
          attempt: j.attempt,
          startedAt: j.startedAt,
          progress: j.progress,
        })),
        startedAt: r.m.startedAt,
        lastExit: r.m.lastExit,
      })),
    };
  }

  /** Resolves true once `pred()` holds (checked on every change), false after `timeoutMs`. */
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!pred()) return;
        done(true);
      };
      const timer = timeoutMs < 2 ** 31 ? setTimeout(() => done(false), timeoutMs) : null;
      const done = (v: boolean) => {
        if (timer) clearTimeout(timer);
        this.#listeners.delete(check);
        resolve(v);
      };
      this.#listeners.add(check);
    });
  }

  #live(): boolean {
    return this.#state === "running" || this.#state === "paused";
  }

  async #rollOnce(reason: string): Promise<void> {
    const olds = this.#recs.filter((r) => r.m.intent === "none" && r.m.state !== "STOPPED");
    this.#o.log.startup(`rolling over ${olds.length} procs (${reason})`);
    for (const old of olds) {
      if (!this.#live()) return;
      if (!this.#recs.includes(old)) continue;
      const fresh = this.#add(old.slot);
      this.#dispatch(fresh, { type: "start", now: Date.now() });
      await this.waitFor(() => fresh.m.state !== "STARTING" && fresh.m.state !== "BACKOFF", this.#o.readyTimeoutMs);
      // A drain that began meanwhile has already told the new proc to stop: nothing to report.
      if (!this.#live()) return;
      if (fresh.m.state !== "RUNNING") {
        this.#o.log.error(
          `rollover stopped: the new ${old.slot.name} did not get ready (${fresh.m.state}); the running procs keep serving. ` +
            `Fix the cause (see its stderr above), then send SIGHUP or touch a plugin file to try again.`,
        );
        if (this.#recs.includes(fresh)) this.#dispatch(fresh, { type: "drain", now: Date.now(), intent: "stop" });
        return;
      }
      this.#dispatch(old, { type: "drain", now: Date.now(), intent: "retire" });
    }
  }

  // The watchdog: a proc reports from its event loop at least every second; one silent past its
  // running job's limit plus the grace is stuck in synchronous work and is killed (its jobs are held
  // meanwhile, and handed back when it is gone, see #handBack).
  #watch(): void {
    const now = Date.now();
    let changed = false;
    for (const r of this.#recs) {
      const silent = Boolean(r.child) && (r.m.state === "RUNNING" || r.m.state === "DRAINING") && now - r.heardAt > UNRESPONSIVE_AFTER_MS;
      if (silent !== Boolean(r.silent)) {
        r.silent = silent;
        changed = true; // presence shows it unresponsive (or answering again) now, not at the next refresh
      }
      if (!r.child || r.killedBy || (r.m.state !== "RUNNING" && r.m.state !== "DRAINING")) continue;
      // Silent: the job it started last (maybe after its last stats: the one blocking it) is in its file.
      if (now - r.heardAt > this.#o.watchdog.holdAfterMs && !r.jobFileRead && r.jobFile) {
        r.jobFileRead = true;
        this.#noteLastStarted(r);
      }
      const inFlight = knownInFlight(r);
      const v = watchdogVerdict(now, r.heardAt, inFlight, this.#o.watchdog);
      if (v.action === "hold") this.#o.keeper?.hold(inFlight);
      else if (v.action === "kill") {
        r.killedBy = v.reason;
        this.#o.log.error(`${r.slot.name} (pid ${r.child.pid}) is stuck: ${v.reason}. The watchdog kills it (SIGKILL) and starts a new one.`);
        r.child.kill("SIGKILL");
      }
    }
    if (changed) this.#changed();
  }

  // The job the proc started last, from its job file, when it started after the proc's last message
  // (so no stats could name it): the one blocking a silent proc, or that killed it at once.
  #noteLastStarted(r: ProcRecord): void {
    if (!r.jobFile) return;
    const last = r.jobFile.read();
    if (last && last.startedAt >= r.heardAt - 50 && !knownInFlight(r).some((j) => j.id === last.id)) r.started.push(last);
  }

  // A proc gone with jobs in flight (a watchdog kill, a crash, a forced stop): say how each attempt ended
  // and hand the jobs back at once. A clean exit has finished its jobs: nothing to do.
  #handBack(r: ProcRecord, pid: number, code: number | null, signal: string | null): void {
    // a job that killed its proc right after it started may not be in the last stats yet
    this.#noteLastStarted(r);
    const inFlight = knownInFlight(r);
    r.started = [];
    if (!inFlight.length || !this.#o.keeper) return;
    const planned = r.m.intent !== "none";
    if (!r.killedBy && (code === 0 || code === RECYCLE_EXIT_CODE) && !signal) return;
    const kind = r.killedBy ? "watchdog" : planned ? "stopped" : "crash";
    const fates = jobFates({ kind, now: Date.now() }, inFlight);
    const how = r.killedBy ?? (signal ? `signal ${signal}` : `exit code ${code}`);
    const culprits = fates.filter((f) => f.charged).map((f) => `${f.job.handler}/${f.job.id}`).join(", ") || "another job";
    const p = this.#o.keeper
      .handBack(fates, { proc: r.slot.name, pid, how, culprits })
      .catch((err) => {
        this.#o.log.warn(`${r.slot.name}: could not hand back its jobs (JetStream redelivers them after the ack wait): ${(err as Error).message}`);
      })
      .finally(() => this.#handBacks.delete(p));
    this.#handBacks.add(p);
  }

  #add(slot: SlotSpec): ProcRecord {
    const r: ProcRecord = { slot, m: newProc(), child: null, timer: null, stats: null, doneBefore: 0, failedBefore: 0, heardAt: Date.now(), killedBy: null, started: [], jobFile: null };
    this.#recs.push(r);
    return r;
  }

  #changed(): void {
    for (const l of [...this.#listeners]) l();
    this.#o.onChange?.();
  }

  #dispatch(r: ProcRecord, ev: ProcEvent): void {
    const t = transition(r.m, ev, this.#o.policy);
    r.m = t.machine;
    for (const a of t.actions) {
      switch (a.type) {
        case "spawn":
          this.#spawn(r);
          break;
        case "sendDrain":
          r.child?.send({ t: "drain" });
          break;
        case "schedule":
          if (r.timer) clearTimeout(r.timer);
          r.timer = setTimeout(() => {
            r.timer = null;
            this.#dispatch(r, { type: "timer", now: Date.now() });
          }, a.delayMs);
          this.#o.log.proc(`${r.slot.name}: restarting in ${a.delayMs}ms`);
          break;
        case "cancelTimer":
          if (r.timer) clearTimeout(r.timer);
          r.timer = null;
          break;
        case "fatal": {
          const e = r.m.lastExit;
          const how = e?.signal ? `signal ${e.signal}` : `exit code ${e?.code}`;
          const tail = r.lastTail?.length ? `\n  last stderr lines:\n    ${r.lastTail.join("\n    ")}` : "\n  (no stderr output)";
          this.#o.log.error(
            `${r.slot.name} is FATAL: it ${a.reason} (last: ${how}). It will not be restarted until ` +
              `\`docctl resume ${this.#o.workerId ?? "<worker>"}\` or SIGHUP; the other procs keep running.${tail}`,
          );
          this.#fatalReports.set(r.slot.name, `${r.slot.name} ${a.reason} (last: ${how})${r.lastTail?.length ? `; its last stderr line: ${r.lastTail.at(-1)}` : ""}`);
          if (this.#live() && this.#recs.every((x) => x.m.state === "FATAL")) {
            this.#o.onAllFatal?.(`every proc is FATAL, nothing can serve: ${[...this.#fatalReports.values()].join("; ")}`);
          }
          break;
        }
        case "removed":
          this.#recs = this.#recs.filter((x) => x !== r);
          break;
      }
    }
    this.#changed();
  }

  #spawn(r: ProcRecord): void {
    const slot = r.slot;
    let child: SpawnedProc;
    r.jobFile?.close();
    try {
      r.jobFile = new JobFileReader(jobFilePath(slot.name, ++this.#spawned));
    } catch {
      r.jobFile = null; // no writable tmp dir: the watchdog then knows jobs from the stats only
    }
    try {
      child = spawnProc({
        argv: this.#o.command(slot),
        env: { DOCCTL_PROC_NAME: slot.name, ...(r.jobFile ? { [JOB_FILE_ENV]: r.jobFile.path } : {}), ...this.#o.env?.(slot) },
        forward: this.#o.forwardOutput,
        tailLines: this.#o.stderrTailLines,
        onMessage: (m) => this.#onMessage(r, child, m),
      });
    } catch (err) {
      // Could not even exec (binary gone after an upgrade?): treat it like a proc that died at once.
      this.#o.log.error(`${slot.name}: cannot spawn ${this.#o.command(slot)[0]}: ${(err as Error).message}`);
      queueMicrotask(() => this.#dispatch(r, { type: "exit", now: Date.now(), code: null, signal: null, random: Math.random() }));
      return;
    }
    r.child = child;
    r.stats = null;
    r.started = [];
    r.heardAt = Date.now();
    r.killedBy = null;
    this.#fatalReports.delete(slot.name);
    this.#o.log.proc(`${slot.name}: started pid ${child.pid}${r.m.restarts ? ` (restart ${r.m.restarts})` : ""}`);
    void child.exited.then(({ code, signal }) => {
      if (r.child !== child) return;
      this.#handBack(r, child.pid, code, signal);
      r.jobFile?.close();
      r.jobFile = null;
      r.doneBefore += r.stats?.jobsDone ?? 0;
      r.failedBefore += r.stats?.jobsFailed ?? 0;
      r.child = null;
      r.stats = null;
      r.lastTail = child.stderrTail();
      const now = Date.now();
      if (code === RECYCLE_EXIT_CODE && r.m.intent === "none") this.#dispatch(r, { type: "recycle", now });
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (r.m.intent === "none") this.#o.log.warn(`${slot.name} (pid ${child.pid}) exited with ${how}`);
      else this.#o.log.proc(`${slot.name} (pid ${child.pid}) exited with ${how} (${r.m.intent})`);
      this.#dispatch(r, { type: "exit", now, code, signal, random: Math.random() });
    });
  }

  #onMessage(r: ProcRecord, child: SpawnedProc, m: ChildMessage): void {
    if (r.child !== child) return;
    r.heardAt = Date.now();
    switch (m.t) {
      case "ready":
        r.jobFile?.unlink(); // the proc has its job file open by now
        this.#o.log.proc(`${r.slot.name} (pid ${child.pid}) ready: ${m.handlers.join(", ") || "no handlers"}`);
        // A drain sent before the proc had its IPC listener may have been lost: repeat it.
        if (r.m.state === "DRAINING") child.send({ t: "drain" });
        else if (this.#paused) child.send({ t: "pause" });
        this.#dispatch(r, { type: "ready", now: Date.now() });
        break;
      case "stats": {
        r.started = [];
        r.jobFileRead = false;
        const before = r.stats;
        r.stats = m.stats;
        // Counters alone do not warrant a presence write; a state change or a job starting or ending does.
        const visible = (s: ProcStats | null) => (s ? `${s.state}|${s.inFlight.map((j) => j.id).join(",")}` : "");
        if (visible(before) !== visible(m.stats)) this.#changed();
        else for (const l of [...this.#listeners]) l();
        break;
      }
      case "recycle":
        this.#o.log.proc(`${r.slot.name} (pid ${child.pid}) recycling: ${m.reason}`);
        this.#dispatch(r, { type: "recycle", now: Date.now() });
        break;
    }
  }
}
