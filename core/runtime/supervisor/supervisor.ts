// The worker supervisor: keeps N procs (plus dedicated ones) running, restarts them with backoff, marks
// the hopeless FATAL, recycles, rolls them over one by one and drains them. Decisions come from
// proc-state.ts; this file only spawns, times and signals. Beside it: supervisor-options.ts (options,
// status shapes), proc-record.ts (what is kept per proc), proc-watch.ts (the watchdog's effects),
// hand-back.ts (jobs of a proc that is gone).
import { transition, type ProcEvent } from "./proc-state.ts";
import { RECYCLE_EXIT_CODE, type ChildMessage, type ProcStats } from "./ipc.ts";
import { spawnProc, type SpawnedProc } from "./proc-spawn.ts";
import { JOB_FILE_ENV, JobFileReader, jobFilePath } from "./job-file.ts";
import { supervisorDefaults, slotsFor, type SlotSpec, type SupervisorOptions, type SupervisorState, type SupervisorStatus } from "./supervisor-options.ts";
import { newRecord, procStatus, type ProcRecord } from "./proc-record.ts";
import { watchProcs } from "./proc-watch.ts";
import { handBack } from "./hand-back.ts";

export {
  slotsFor,
  supervisorDefaults,
  type ProcStatus,
  type SlotSpec,
  type SupervisorOptions,
  type SupervisorState,
  type SupervisorStatus,
} from "./supervisor-options.ts";

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

  /**
   * Every proc finishes its in-flight jobs and takes no more. Resolves once each running proc has said
   * that nothing more is delivered to it (jobs it had fetched ahead handed back), or after 5 s.
   */
  pause(): Promise<void> {
    if (this.#state !== "running" && this.#state !== "paused") return Promise.resolve();
    this.#paused = true;
    this.#state = "paused";
    const held: Promise<void>[] = [];
    for (const r of this.#recs) {
      if (!r.child) continue;
      held.push(
        new Promise<void>((resolve) => {
          const t = setTimeout(done, 5_000);
          function done() {
            clearTimeout(t);
            resolve();
          }
          r.onHeld?.();
          r.onHeld = done;
        }),
      );
      r.child.send({ t: "pause" });
    }
    this.#changed();
    return Promise.all(held).then(() => {});
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

  /** How long a drain lets the procs finish their jobs before SIGKILL, ms (a control drain may lengthen it before the drain begins). */
  get drainTimeoutMs(): number {
    return this.#o.drainTimeoutMs;
  }
  set drainTimeoutMs(ms: number) {
    if (!this.#draining) this.#o.drainTimeoutMs = ms;
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
    return { state: this.#state, procs: this.#recs.map((r) => procStatus(r, now)) };
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

  // The watchdog (see proc-watch.ts), every 250 ms.
  #watch(): void {
    if (watchProcs(this.#recs, Date.now(), { watchdog: this.#o.watchdog, keeper: this.#o.keeper, log: this.#o.log })) this.#changed();
  }

  // Jobs of a proc gone with jobs in flight are handed back (see hand-back.ts); a drain waits for that.
  #handBack(r: ProcRecord, pid: number, code: number | null, signal: string | null): void {
    const p = handBack(r, { pid, code, signal }, { keeper: this.#o.keeper, log: this.#o.log })?.finally(() => this.#handBacks.delete(p!));
    if (p) this.#handBacks.add(p);
  }

  #add(slot: SlotSpec): ProcRecord {
    const r = newRecord(slot);
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
    r.setupSince = undefined;
    r.stuckJob = undefined;
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
        const before = r.stats;
        r.stats = m.stats;
        // Counters alone do not warrant a presence write; a state change or a job starting or ending does.
        const visible = (s: ProcStats | null) => (s ? `${s.state}|${s.inFlight.map((j) => j.id).join(",")}` : "");
        if (visible(before) !== visible(m.stats)) this.#changed();
        else for (const l of [...this.#listeners]) l();
        break;
      }
      case "setup":
        r.setupSince = Date.now();
        break;
      case "stuck":
        if (r.killedBy) break;
        r.killedBy = `stuck: ${m.reason}`;
        r.stuckJob = m.id;
        r.watchdogKills = (r.watchdogKills ?? 0) + 1;
        r.lastKill = r.killedBy;
        this.#o.log.error(`${r.slot.name} (pid ${child.pid}) is stuck: ${m.reason}. It is ended (SIGKILL) and replaced; its other jobs are handed back uncharged.`);
        child.kill("SIGKILL");
        break;
      case "held":
        r.onHeld?.();
        r.onHeld = undefined;
        break;
      case "recycle":
        this.#o.log.proc(`${r.slot.name} (pid ${child.pid}) recycling: ${m.reason}`);
        this.#dispatch(r, { type: "recycle", now: Date.now() });
        break;
    }
  }
}
