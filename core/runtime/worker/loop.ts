// The worker event loop: pulls jobs of its handlers with N in flight, runs them, acks, retries, dead-letters.
// The pieces: handler-puller.ts (pulling), decide-attempt.ts (what to do with an attempt, pure),
// run-handler.ts (one handler call: its context, time limit and errors), time-limit.ts (time limit and
// cancel grace), outcomes.ts (results and dead letters), progress-reporter.ts, output-store.ts (ctx.output),
// heartbeats.ts, handler-setup.ts (setup/teardown); this file runs a job through them.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { MAX_TIMEOUT_MS, decodeJob, type JobV1 } from "../protocol/codec.ts";
import { ErrorCodes, clipMessage, storeProblem } from "../protocol/errors.ts";
import { isTransientNatsError } from "../nats/errors.ts";
import type { Logger } from "../util/log.ts";
import { jobRetryBackoff, natsSetupBackoff, retrying } from "../util/backoff.ts";
import type { JobMsg } from "../nats/job-msg.ts";
import { ScheduleRuns } from "./schedule-runs.ts";
import { ensureConsumer, ensureStreams, topologyDefaults, type TopologyOptions } from "../nats/topology.ts";
import { recordHandlers } from "../nats/handlers.ts";
import { AttemptNotes } from "../nats/attempt-notes.ts";
import { BUCKET_HANDLERS } from "../protocol/subjects.ts";
import { attemptOf, describeEnds, type AttemptNotesV1 } from "../protocol/attempts.ts";
import type { RegisteredHandler } from "./registry.ts";
import { Slots } from "./slots.ts";
import { CancelWatch } from "./cancel-watch.ts";
import { FleetLimits, type LimitTicket } from "./limits.ts";
import { Workflows } from "./workflow.ts";
import { workerLoopDefaults, type InFlightJob, type LoopStats, type WorkerLoopOptions } from "./loop-options.ts";
import { JobTimes } from "./lookahead.ts";
import { heartbeatEveryMs, startHeartbeats } from "./heartbeats.ts";
import { HandlerPuller, JobBudget } from "./handler-puller.ts";
import { decideAttempt, decideBeforeRun, type AttemptEnd } from "./decide-attempt.ts";
import { cancelledBy } from "./time-limit.ts";
import { Outcomes } from "./outcomes.ts";
import { JobRecorder } from "./job-record.ts";
import { retentionOf } from "../nats/job-index.ts";
import type { BackoffV1 } from "../util/job-backoff.ts";
import { ProgressReporter } from "./progress-reporter.ts";
import { OutputStore } from "./output-store.ts";
import { runHandler, type HandlerRunner } from "./run-handler.ts";
import { setUpHandlers, tearDownHandlers } from "./handler-setup.ts";

export { BAD_MESSAGE_MAX_DELIVERIES, workerLoopDefaults, type InFlightJob, type LoopStats, type WorkerLoopOptions } from "./loop-options.ts";
export { lookahead, lookaheadDefaults } from "./lookahead.ts";

/** A job in this loop: running (inFlight) or delivered and waiting for a fleet-wide limit (waiting). */
type HeldJob = { id: string; batch: string; abort: AbortController; msg: JobMsg };

/** One proc's loop. start() begins pulling; drain() stops pulling and resolves when in-flight work is done. */
export class WorkerLoop {
  private topo: TopologyOptions;
  private state: LoopStats["state"] = "starting";
  private counters = { jobsDone: 0, jobsFailed: 0, jobsRetried: 0 };
  /** one set of slots per handler: a handler waiting for jobs never holds back another's */
  private slots = new Map<string, Slots>();
  private pullers = new Map<string, HandlerPuller>();
  private pulling: Promise<void>[] = [];
  private budget: JobBudget;
  private jobTimes = new JobTimes();
  private inFlight = new Map<string, InFlightJob & HeldJob>();
  /** jobs delivered but waiting for a fleet-wide limit: heartbeated and cancellable, not yet running */
  private waiting = new Map<string, HeldJob>();
  private seq = 0;
  private resumeWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private stopHeartbeats?: () => void;
  private setUp: RegisteredHandler[] = [];
  private notes?: Promise<AttemptNotes | undefined>;
  private cancels?: CancelWatch;
  private limits?: FleetLimits;
  /** ticks of server-side schedules: ids with the tick in, last runs noted */
  private ticks!: ScheduleRuns;
  private workflows: Workflows;
  private outcomes: Outcomes;
  /** the job index entries, attempt history and ctx.log lines of the jobs this loop runs */
  private recorder: JobRecorder;
  private progress: ProgressReporter;
  /** what each handler call shares (run-handler.ts) */
  private runner: HandlerRunner;

  constructor(private o: WorkerLoopOptions) {
    this.topo = { ...topologyDefaults, ...o.topology };
    this.budget = new JobBudget(o.maxJobs);
    this.recorder = new JobRecorder(o.nc, o.workerId, retentionOf(this.topo), (what, err) => o.log.debug(`job index: ${what} not written: ${(err as Error).message}`));
    this.workflows = new Workflows(o.nc, o.workerId, this.recorder.index);
    this.outcomes = new Outcomes({
      recorder: this.recorder,
      nc: o.nc,
      workerId: o.workerId,
      log: o.log,
      ackWaitMs: this.topo.ackWaitMs,
      metrics: o.metrics,
      counters: this.counters,
      workflows: this.workflows,
      stopped: () => this.state === "stopped",
      onJobFinished: o.onJobFinished,
      afterResult: (job, ok, code) => this.ticks?.finished(job, ok, code),
    });
    this.progress = new ProgressReporter(jetstream(o.nc), o.workerId, o.log, (key) => this.inFlight.get(key));
    const outputs = new OutputStore(o.nc, this.topo, o.inlineMaxBytes ?? workerLoopDefaults.inlineMaxBytes);
    this.runner = {
      workerId: o.workerId,
      log: o.log,
      outputs,
      recorder: this.recorder,
      progress: this.progress,
      jobTimes: this.jobTimes,
      cancelGraceMs: o.cancelGraceMs,
      onCancelIgnored: o.onCancelIgnored,
    };
  }

  /** Ensure streams and consumers, run handler setup(), and begin pulling. */
  async start(): Promise<void> {
    const jsm = await jetstreamManager(this.o.nc);
    // A worker started while NATS recovers (a restart, a cluster electing its leaders) waits for it:
    // the set-up requests time out meanwhile, and crashing would only make a supervisor count deaths.
    await this.untilAnswered("stream and consumer set-up", async () => {
      // Replicas are changed only when the worker was told a number (--replicas), never from the default.
      await ensureStreams(jsm, this.topo, { keepReplicas: this.o.topology?.replicas === undefined });
      for (const name of this.o.registry.names()) await ensureConsumer(jsm, name, this.topo);
    });
    // The fleet's handler list (docctl handlers, submit's typo check). Best effort: a server that refuses
    // the KV bucket (permissions) still gets its jobs done, and submitters also know handlers by their consumers.
    try {
      const infos = this.o.registry.names().map((name) => this.o.registry.info(name, this.o.workerId));
      await recordHandlers(this.o.nc, infos, { replicas: this.o.topology?.replicas });
    } catch (err) {
      this.o.log.warn(`could not record the handlers in ${BUCKET_HANDLERS}: ${(err as Error).message}`);
    }
    // Job control is best effort at start: a server that refuses its buckets (account permissions) still
    // gets jobs run; what is missing is said once.
    await this.untilAnswered("job-control set-up", () => this.startJobControl()).catch((err) =>
      this.o.log.warn(`job control is not available in this worker (cancel, fleet-wide limits, moving delayed jobs): ${(err as Error).message}`),
    );
    this.o.onSetupStart?.();
    this.setUp = await setUpHandlers(this.o.registry, this.o.setupTimeoutMs ?? workerLoopDefaults.setupTimeoutMs, this.o.log);
    this.state = "running";
    this.stopHeartbeats = startHeartbeats(this.topo.ackWaitMs, { running: () => this.inFlight.values(), waiting: () => this.waiting.values() }, this.o.log);
    this.o.metrics?.init(this.o.registry.names());
    for (const name of this.o.registry.names()) {
      let overReleases = 0;
      const slots = new Slots(this.o.concurrency, (extra) => {
        // a bug in the slot accounting: said once at warn (with a way to report it), then at debug
        const say = overReleases++ === 0 ? this.o.log.warn : this.o.log.debug;
        say.call(this.o.log, `${name}: ${extra} slot(s) released beyond the concurrency of ${this.o.concurrency} (dropped; a slot accounting error, please report it)`);
      });
      this.slots.set(name, slots);
      const puller = new HandlerPuller({
        nc: this.o.nc,
        handler: name,
        slots,
        concurrency: this.o.concurrency,
        expiresMs: this.o.pullExpiresMs ?? workerLoopDefaults.pullExpiresMs,
        heartbeatMs: heartbeatEveryMs(this.topo.ackWaitMs),
        budget: this.budget,
        log: this.o.log,
        state: () => this.state,
        resumed: () => new Promise<void>((r) => this.resumeWaiters.push(r)),
        lookahead: () => this.jobTimes.lookahead(name, this.o.concurrency, this.o.maxJobs),
        run: (msg, free) => this.runJob(name, msg, free),
      });
      this.pullers.set(name, puller);
      this.pulling.push(puller.run());
    }
    this.o.log.startup(`pulling ${this.o.registry.names().join(", ")} with ${this.o.concurrency} in flight`);
  }

  // Retries `f` while NATS gives transient errors (timeouts, no responders), backing off to 5 s.
  private async untilAnswered(what: string, f: () => Promise<void>): Promise<void> {
    await retrying(f, {
      backoff: natsSetupBackoff,
      retryable: (err) => isTransientNatsError(err) && !this.o.nc.isClosed(),
      onRetry: (err, ms) => this.o.log.warn(`${what}: NATS did not answer (${(err as Error).message}); trying again in ${ms}ms`),
    });
  }

  // Cancel markers, fleet-wide limits and the delayed-job mover: each reads its own bucket or stream.
  private async startJobControl(): Promise<void> {
    this.cancels ??= new CancelWatch(this.o.nc, (id) => this.cancelRunning(id));
    await this.cancels.start();
    this.limits ??= new FleetLimits(this.o.nc, this.o.log);
    await this.limits.start();
    this.ticks ??= new ScheduleRuns(this.o.nc, this.o.log);
  }

  // A running (or limit-waiting) job of this id or batch gets its signal aborted with CANCELLED.
  private cancelRunning(id: string): void {
    const err = () => Object.assign(new Error("cancelled (docctl cancel)"), { code: ErrorCodes.CANCELLED, retryable: false });
    for (const j of [...this.inFlight.values(), ...this.waiting.values()]) {
      if ((j.id === id || j.batch === id) && !j.abort.signal.aborted) j.abort.abort(err());
    }
  }

  /**
   * Finish in-flight jobs and take no more, until resume(). Resolves once the server has confirmed
   * that nothing more is delivered (the pull requests already waiting there are dropped with their
   * inbox); jobs fetched ahead and not started are handed back (nak) for other workers, not run.
   */
  async pause(): Promise<void> {
    if (this.state === "running") this.state = "paused";
    if (this.state !== "paused") return;
    await Promise.all([...this.pullers.values()].map((p) => p.hold()));
  }

  resume(): void {
    if (this.state !== "paused") return;
    this.state = "running";
    void Promise.all([...this.pullers.values()].map((p) => p.release())).then(() => {
      for (const w of this.resumeWaiters.splice(0)) w();
    });
  }

  /** Stop pulling, finish in-flight jobs, run handler teardown(). Resolves when idle. */
  async drain(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "draining";
    for (const s of this.slots.values()) s.close();
    for (const w of this.resumeWaiters.splice(0)) w();
    this.budget.wakeAll();
    // Each pull loop returns once its outstanding pull requests have ended (within pullExpiresMs);
    // jobs they still deliver are run, not dropped.
    await Promise.all(this.pulling);
    await Promise.all([...this.slots.values()].map((s) => s.idle()));
    // Slots free up when handlers finish; their results may still be on their way.
    if (this.inFlight.size) await new Promise<void>((r) => this.idleWaiters.push(r));
    this.stopHeartbeats?.();
    await this.cancels?.stop();
    await this.limits?.stop();
    await tearDownHandlers(this.setUp.splice(0), this.o.log);
    await this.recorder.settled();
    this.outcomes.close();
    this.recorder.close();
    this.state = "stopped";
  }

  /** Abort every running job's signal (for a stop that cannot wait). */
  abortAll(reason = "the worker is stopping"): void {
    for (const j of [...this.inFlight.values(), ...this.waiting.values()]) j.abort.abort(new Error(reason));
  }

  stats(): LoopStats {
    return {
      state: this.state,
      ...this.counters,
      inFlight: [...this.inFlight.values()].map(({ abort: _a, msg: _m, ...j }) => j),
    };
  }

  /**
   * Runs one job. `freeSlot` is called once the handler is done (before the result is stored), so
   * the next job is pulled while this one's result travels: one round trip per job, not two.
   */
  private async runJob(handler: string, msg: JobMsg, freeSlot: () => void): Promise<void> {
    let started = Date.now();
    const delivery = msg.info.deliveryCount;
    const decoded = decodeJob(msg.data);
    if (!decoded.ok) return this.outcomes.badMessage(handler, msg, decoded.problem, delivery, started);
    // a tick of a server-side schedule: its ids get the tick (delayed and other jobs keep theirs)
    const job = (this.ticks ??= new ScheduleRuns(this.o.nc, this.o.log)).taken(decoded.value, () => msg.headers, msg.info.timestampMs);
    if (job.handler !== handler) {
      return this.outcomes.badMessage(handler, msg, `field "handler" is "${job.handler}" but the job was published on the subject of "${handler}"`, delivery, started);
    }
    const reg = this.o.registry.get(handler)!;
    const log = this.o.log.child({ job_id: job.id, handler });
    log.trace(`received ${msg.data.byteLength} bytes (stream seq ${msg.info.streamSequence}, delivery ${delivery}), decoded in ${Date.now() - started}ms`);
    // A redelivery: a supervisor may have noted how earlier deliveries ended (a crash, the watchdog) and
    // spared some of them; only then is the notes bucket read, so first deliveries cost nothing.
    const notes = delivery > 1 ? await this.notesOf(job.id) : undefined;
    const attempt = attemptOf(delivery, notes);
    const maxAttempts = job.attempts ?? reg.def.maxAttempts ?? this.o.maxAttempts ?? workerLoopDefaults.maxAttempts;
    const key = `${job.id}#${++this.seq}`;
    const abort = new AbortController();
    // setTimeout fires at once past 2^31-1 ms: a longer limit (handler default, --timeout) is that long.
    const timeoutMs = Math.min(MAX_TIMEOUT_MS, job.timeout_ms ?? reg.def.timeoutMs ?? this.o.timeoutMs ?? workerLoopDefaults.timeoutMs);
    const cancelled = () => Boolean(this.cancels?.has(job.id) || this.cancels?.has(job.batch)) || cancelledBy(abort.signal);
    let ticket: LimitTicket | undefined;
    if (this.limits?.get(handler) && !cancelled() && attempt <= maxAttempts) {
      ticket = await this.takeLimit(handler, job, key, abort, msg, log);
      if (!ticket && !cancelledBy(abort.signal)) {
        // never started: back to the queue (a stopping proc's job goes to another worker at once; after
        // NATS trouble a second later, and the deliveries count, so it cannot come back forever)
        freeSlot();
        msg.nak(abort.signal.aborted ? undefined : 1000);
        return;
      }
      started = Date.now();
    }
    // queue wait of a first delivery: from submit (or its run_at) to now; a retry's due time is not on the message
    if (delivery === 1) this.o.metrics?.waited(handler, (started - (job.run_at ?? job.submitted_at)) / 1000);
    const entry: InFlightJob & { batch: string } = { id: job.id, batch: job.batch, handler, startedAt: started, timeoutMs, reply: msg.reply, delivery, attempt, maxAttempts };
    this.inFlight.set(key, { ...entry, abort, msg });
    this.o.onJobStarted?.(entry);
    try {
      const before = decideBeforeRun({ cancelled: cancelled(), attempt, maxAttempts, delivery, notes });
      if (before.action === "end") {
        if (before.error.code === ErrorCodes.CANCELLED) {
          // cancelled while queued: it never runs
          freeSlot();
          log.job("cancelled before it started");
        }
        return await this.outcomes.fail(job, msg, before.error, before.attempt, started, log);
      }
      if (notes?.ended.length) log.warn(`attempt ${attempt}/${maxAttempts} (delivery ${delivery}); earlier: ${describeEnds(notes)}`);
      const problem = reg.check(job.payload);
      if (problem) {
        return await this.outcomes.fail(job, msg, { code: ErrorCodes.BAD_PAYLOAD, message: clipMessage(problem), retryable: false }, attempt, started, log);
      }
      log.job(`started (attempt ${attempt}/${maxAttempts})`);
      ticket?.began(Date.now());
      const ran = await runHandler(this.runner, { reg, job, key, attempt, maxAttempts, timeoutMs, abort, msg, log });
      ticket?.release();
      freeSlot();
      let value: unknown = null;
      let end: AttemptEnd = ran;
      let encoded: { bytes: Uint8Array } | undefined;
      if (ran.ok) {
        value = ran.value === undefined ? null : ran.value;
        const e = this.outcomes.encode(job, { ok: true, value, output: ran.output }, attempt, started);
        // Running it again would give the same value: fail now, with the reason, instead of at every ack wait.
        if ("error" in e) end = { ok: false, error: e.error };
        else encoded = e;
      }
      const decision = decideAttempt(end, attempt, maxAttempts, this.o.retry ?? jobRetryBackoff, { job: job.backoff, handler: reg.def.backoff as BackoffV1 | undefined });
      if (decision.action === "ack") return await this.outcomes.succeeded(job, msg, encoded!, value, attempt, started, log);
      if (decision.action === "nak" && !end.ok) {
        log.job(`failed with ${end.error.code}: ${end.error.message}; retry ${attempt + 1}/${maxAttempts} in ${decision.delayMs}ms`);
        this.counters.jobsRetried++;
        this.o.metrics?.retried.inc({ handler });
        // `retrying` in the job index (attempt, error, next time, history) before it is given back
        await this.recorder.retrying(job, { attempt, maxAttempts, error: end.error, delayMs: decision.delayMs, stack: ran.ok ? undefined : ran.stack });
        msg.nak(decision.delayMs);
        return;
      }
      if (decision.action === "cancelled" || decision.action === "dead") return await this.outcomes.fail(job, msg, decision.error, attempt, started, log, ran.ok ? undefined : ran.stack);
    } catch (err) {
      // Publishing the result failed (NATS away, store full): leave the job unacked so JetStream redelivers it.
      const full = storeProblem(err);
      log.error(`could not record the outcome, the job will be redelivered: ${full ?? (err as Error).message}`);
    } finally {
      ticket?.release();
      this.progress.forget(key);
      this.inFlight.delete(key);
      if (this.inFlight.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  // A fleet-wide limit: wait (heartbeated, cancellable) for a slot and a turn before the job counts as
  // running. Undefined when cancelled or stopping while waiting, or after NATS trouble (said here).
  private async takeLimit(handler: string, job: JobV1, key: string, abort: AbortController, msg: JobMsg, log: Logger): Promise<LimitTicket | undefined> {
    this.waiting.set(key, { id: job.id, batch: job.batch, abort, msg });
    try {
      return await this.limits!.acquire(handler, abort.signal);
    } catch (err) {
      // cancelled or stopping while waiting (the abort reason is handled by the caller), or NATS trouble
      if (!abort.signal.aborted) log.warn(`could not take its fleet-wide limit (${(err as Error)?.message}); it goes back to the queue`);
      return undefined;
    } finally {
      this.waiting.delete(key);
    }
  }

  // The notes of a job, or undefined (no bucket yet, NATS slow: the delivery then counts as usual).
  private async notesOf(id: string): Promise<AttemptNotesV1 | undefined> {
    try {
      this.notes ??= AttemptNotes.open(this.o.nc);
      const n = await this.notes;
      if (!n) this.notes = undefined; // no supervisor has made the bucket yet: look again next time
      return await n?.get(id);
    } catch (err) {
      this.notes = undefined;
      this.o.log.debug(`attempt notes of ${id} not read (the delivery counts as an attempt): ${(err as Error).message}`);
      return undefined;
    }
  }
}
