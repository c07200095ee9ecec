// The worker event loop: pulls jobs of its handlers with N in flight, runs them, acks, retries, dead-letters.
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { headers } from "@nats-io/transport-node";
import { createHash } from "node:crypto";
import { decode } from "@msgpack/msgpack";
import { MAX_TIMEOUT_MS, decodeJob, encodeDeadFitting, encodeProgress, encodeResult, type JobV1, type ResultV1 } from "../protocol/codec.ts";
import { ErrorCodes, clipMessage, storeProblem, toWireError, type WireError } from "../protocol/errors.ts";
import { isTransientNatsError } from "../nats/errors.ts";
import type { Logger } from "../util/log.ts";
import type { WorkerMetrics } from "../util/metrics.ts";
import type { HandlerRegistry, RegisteredHandler } from "./registry.ts";
import { backoffDelay, jobRetryBackoff, natsPublishBackoff, natsSetupBackoff, retrying, storeFullBackoff, type Backoff } from "../util/backoff.ts";
import { Slots } from "./slots.ts";
import { JetStreamPublisher } from "../nats/publisher.ts";
import type { JobMsg } from "../nats/job-msg.ts";
import { PriorityPuller } from "./priority-puller.ts";
import { CancelWatch } from "./cancel-watch.ts";
import { FleetLimits, type LimitTicket } from "./limits.ts";
import { Workflows } from "./workflow.ts";
import { progressOf, type JobProgress } from "./progress.ts";
import { DelayedMover } from "../nats/delayed.ts";
import { BUCKET_OUTPUTS, STREAM_TASKS, deadSubject, progressSubject, resultSubject, tokenProblem } from "../protocol/subjects.ts";
import { ensureConsumer, ensureStreams, outputsBucket, topologyDefaults, type TopologyOptions } from "../nats/topology.ts";
import { recordHandlers } from "../nats/handlers.ts";
import type { JobContext, OutputRefV1 } from "../protocol/types.ts";
import { attemptOf, describeEnds, type AttemptNotesV1 } from "../protocol/attempts.ts";
import { AttemptNotes } from "../nats/attempt-notes.ts";

export interface WorkerLoopOptions {
  nc: NatsConnection;
  registry: HandlerRegistry;
  /** jobs of each handler in flight at once in this proc */
  concurrency: number;
  /** the worker's id, written into results */
  workerId: string;
  log: Logger;
  /** stream and consumer limits (ack wait, retention ...) */
  topology?: Partial<TopologyOptions>;
  /** how retryable failures are spaced (the nak delay before redelivery) */
  retry?: Backoff;
  /** default attempts when neither the job nor the handler says (default 3) */
  maxAttempts?: number;
  /** default time limit of one attempt, ms (default 60 s) */
  timeoutMs?: number;
  /** how long one pull request waits for jobs, ms: also the longest a drain waits for pulls (default 2 s) */
  pullExpiresMs?: number;
  /** counters and durations for /metrics */
  metrics?: WorkerMetrics;
  /** documents up to this size travel inline in the result; larger ones go to the object store (default 256 KiB) */
  inlineMaxBytes?: number;
  /** take at most this many jobs in this loop's life (the proc is recycled after them: --max-jobs) */
  maxJobs?: number;
  /**
   * called synchronously as a job's handler is about to run: a supervised proc tells its supervisor
   * at once, so a handler that blocks the event loop from its first instruction is still known (the
   * periodic stats could not be sent any more)
   */
  onJobStarted?(job: InFlightJob): void;
  /** called after every finished job (result published), e.g. to count towards recycling */
  onJobFinished?(r: { id: string; handler: string; ok: boolean }): void;
  /** a cancelled job's handler that has not returned this long after its signal was aborted is reported (ms, default 10 s) */
  cancelGraceMs?: number;
  /** called when a cancelled job's handler ignored its abort signal past the grace (the watchdog's cue to end the proc) */
  onCancelIgnored?(job: { id: string; handler: string }): void;
}

export interface LoopStats {
  state: "starting" | "running" | "paused" | "draining" | "stopped";
  jobsDone: number;
  jobsFailed: number;
  jobsRetried: number;
  inFlight: InFlightJob[];
}

/** A job running in a loop, as its proc reports it to the supervisor (the watchdog reads the limit and the ack subject). */
export interface InFlightJob {
  id: string;
  handler: string;
  startedAt: number;
  /** the attempt's time limit, ms */
  timeoutMs?: number;
  /** the JetStream ack subject of the delivery: the supervisor holds the job (in-progress acks) while the proc is stalled, and naks it when the proc is gone */
  reply?: string;
  /** JetStream's delivery count of this delivery */
  delivery?: number;
  /** 1-based attempt (deliveries spared by attempt notes do not count) and the job's maximum */
  attempt?: number;
  maxAttempts?: number;
  /** the job's batch (a chain's id for its steps) */
  batch?: string;
  /** the last progress the handler reported */
  progress?: JobProgress;
}

/** An undecodable message whose dead letter could not be written is given up (terminated) after this many deliveries. */
export const BAD_MESSAGE_MAX_DELIVERIES = 5;

export const workerLoopDefaults = { concurrency: 4, maxAttempts: 3, timeoutMs: 60_000, pullExpiresMs: 2_000, inlineMaxBytes: 256 * 1024, storeFullHoldMs: 10 * 60_000 };

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

/** One proc's loop. start() begins pulling; drain() stops pulling and resolves when in-flight work is done. */
export class WorkerLoop {
  private js: JetStreamClient;
  /** result publishes (the hot path) with their PubAcks on one inbox */
  private pub: JetStreamPublisher;
  private topo: TopologyOptions;
  /** one set of slots per handler: a handler waiting for jobs never holds back another's */
  private slots = new Map<string, Slots>();
  /** recent job times per handler (see lookahead) */
  private jobTimes = new Map<string, { jobs: number; meanMs: number }>();
  private state: LoopStats["state"] = "starting";
  private inFlight = new Map<string, InFlightJob & { abort: AbortController; msg: JobMsg }>();
  private ticker?: ReturnType<typeof setInterval>;
  private counters = { jobsDone: 0, jobsFailed: 0, jobsRetried: 0 };
  private pullers: Promise<void>[] = [];
  private resumeWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  /** jobs this loop may still take (--max-jobs): counted as they arrive; at 0 it asks for no more */
  private budget = Infinity;
  private budgetWaiters: (() => void)[] = [];
  private outputs?: Promise<ObjectStore>;
  private setUp: RegisteredHandler[] = [];
  private notes?: Promise<AttemptNotes | undefined>;
  private seq = 0;
  /** jobs delivered but waiting for a fleet-wide limit: heartbeated and cancellable, not yet running */
  private waiting = new Map<string, { id: string; batch: string; abort: AbortController; msg: JobMsg }>();
  private cancels?: CancelWatch;
  private limits?: FleetLimits;
  private mover?: DelayedMover;
  private workflows: Workflows;
  private priorityPullers = new Map<string, PriorityPuller>();

  constructor(private o: WorkerLoopOptions) {
    this.js = jetstream(o.nc);
    this.pub = new JetStreamPublisher(o.nc);
    this.topo = { ...topologyDefaults, ...o.topology };
    if (o.maxJobs) this.budget = o.maxJobs;
    this.workflows = new Workflows(o.nc, o.workerId);
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
      this.o.log.warn(`could not record the handlers in DOCCTL_HANDLERS: ${(err as Error).message}`);
    }
    // Job control is best effort at start: a server that refuses its buckets (account permissions) still
    // gets jobs run; what is missing is said once.
    await this.untilAnswered("job-control set-up", () => this.startJobControl()).catch((err) =>
      this.o.log.warn(`job control is not available in this worker (cancel, fleet-wide limits, moving delayed jobs): ${(err as Error).message}`),
    );
    for (const name of this.o.registry.names()) {
      const h = this.o.registry.get(name)!;
      if (h.def.setup) {
        await h.def.setup();
        this.setUp.push(h);
      }
    }
    this.state = "running";
    // One ticker heartbeats every job in flight for longer than a tick, so JetStream does not
    // redeliver long work; short jobs cost no timer of their own.
    const tick = Math.max(250, Math.floor(this.topo.ackWaitMs / 3));
    this.ticker = setInterval(() => {
      const now = Date.now();
      for (const j of this.inFlight.values()) {
        if (now - j.startedAt < tick) continue;
        j.msg.working();
        this.o.log.debug(`heartbeat: job ${j.id} (${j.handler}) still running after ${now - j.startedAt}ms`);
      }
      for (const j of this.waiting.values()) j.msg.working();
    }, tick);
    this.o.metrics?.init(this.o.registry.names());
    for (const name of this.o.registry.names()) {
      this.slots.set(name, new Slots(this.o.concurrency));
      this.pullers.push(this.pullLoop(name));
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
    this.mover ??= new DelayedMover(this.o.nc, { log: this.o.log, worker: this.o.workerId, ackWaitMs: this.topo.ackWaitMs });
    await this.mover.start();
  }

  // A running (or limit-waiting) job of this id or batch gets its signal aborted with CANCELLED.
  private cancelRunning(id: string): void {
    const err = () => Object.assign(new Error("cancelled (docctl cancel)"), { code: ErrorCodes.CANCELLED, retryable: false });
    for (const j of [...this.inFlight.values(), ...this.waiting.values()]) {
      if ((j.id === id || j.batch === id) && !j.abort.signal.aborted) j.abort.abort(err());
    }
  }

  /** Finish in-flight jobs and pull no more, until resume(). */
  pause(): void {
    if (this.state === "running") this.state = "paused";
    // jobs already delivered and waiting for a slot here are run, as a delivered job always was
    for (const p of this.priorityPullers.values()) p.runHeld();
  }

  resume(): void {
    if (this.state !== "paused") return;
    this.state = "running";
    for (const w of this.resumeWaiters.splice(0)) w();
  }

  // A moving mean of each handler's recent job times (successful runs), for the lookahead.
  private timed(handler: string, ms: number): void {
    const t = this.jobTimes.get(handler) ?? { jobs: 0, meanMs: ms };
    t.jobs++;
    t.meanMs += (ms - t.meanMs) / Math.min(t.jobs, 32);
    this.jobTimes.set(handler, t);
  }

  /** Stop pulling, finish in-flight jobs, run handler teardown(). Resolves when idle. */
  async drain(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "draining";
    for (const s of this.slots.values()) s.close();
    for (const w of [...this.resumeWaiters.splice(0), ...this.budgetWaiters.splice(0)]) w();
    // Each pull loop returns once its outstanding pull requests have ended (within pullExpiresMs);
    // jobs they still deliver are run, not dropped.
    await Promise.all(this.pullers);
    await Promise.all([...this.slots.values()].map((s) => s.idle()));
    // Slots free up when handlers finish; their results may still be on their way.
    if (this.inFlight.size) await new Promise<void>((r) => this.idleWaiters.push(r));
    clearInterval(this.ticker);
    await this.mover?.stop();
    await this.cancels?.stop();
    await this.limits?.stop();
    for (const h of this.setUp.splice(0)) {
      try {
        await h.def.teardown?.();
      } catch (err) {
        this.o.log.warn(`teardown of handler ${h.name} failed: ${(err as Error).message}`);
      }
    }
    this.pub.close();
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

  private async pullLoop(handler: string): Promise<void> {
    const slots = this.slots.get(handler)!;
    // high, normal and low each have a consumer; a free slot takes high before normal before low
    const puller: PriorityPuller = new PriorityPuller(this.o.nc, {
      stream: STREAM_TASKS,
      handler,
      expiresMs: this.o.pullExpiresMs ?? workerLoopDefaults.pullExpiresMs,
      heartbeatMs: Math.max(250, Math.floor(this.topo.ackWaitMs / 3)),
      onMessage: (msg) => {
        this.budget--;
        let held = true;
        const free = () => {
          if (held) slots.release(1);
          held = false;
        };
        void this.runJob(handler, msg, free).finally(free);
      },
      onUnfilled: (n) => slots.release(n),
    });
    this.priorityPullers.set(handler, puller);
    while (this.state === "running" || this.state === "paused") {
      if (this.state === "paused") {
        await new Promise<void>((r) => this.resumeWaiters.push(r));
        continue;
      }
      // Pull again once a quarter of the slots are free: with many short jobs this keeps pull
      // requests few; with few long ones (concurrency <= 4) it is every free slot.
      const claimed = await slots.claimAll(Math.floor(this.o.concurrency / 4));
      if (claimed === 0) break; // closed
      // --max-jobs: once that many jobs have arrived, ask for no more (the proc is about to be
      // recycled); a request already out may still bring one, which is run, not dropped.
      const n = Math.min(claimed, this.budget);
      if (this.state !== "running" || n <= 0) {
        slots.release(claimed);
        if (this.state === "running") await new Promise<void>((r) => this.budgetWaiters.push(r));
        continue;
      }
      slots.release(claimed - n);
      const t = this.jobTimes.get(handler);
      puller.ahead = lookahead({ concurrency: this.o.concurrency, jobs: t?.jobs ?? 0, meanMs: t?.meanMs ?? Infinity, maxJobs: this.o.maxJobs });
      // Several pulls may be outstanding: a new one goes out as soon as slots free up, so a slow pull
      // never holds back jobs, and a proc never asks for more jobs than it can start right away.
      puller.pull(n);
      this.o.log.debug(`pull: asked for ${n} ${handler} job(s)`);
    }
    await puller.stop();
  }

  /**
   * Runs one job. `freeSlot` is called once the handler is done (before the result is stored), so
   * the next job is pulled while this one's result travels: one round trip per job, not two.
   */
  private async runJob(handler: string, msg: JobMsg, freeSlot: () => void): Promise<void> {
    let started = Date.now();
    const delivery = msg.info.deliveryCount;
    const decoded = decodeJob(msg.data);
    if (!decoded.ok) return this.badMessage(handler, msg, decoded.problem, delivery, started);
    const job = decoded.value;
    if (job.handler !== handler) {
      return this.badMessage(handler, msg, `field "handler" is "${job.handler}" but the job was published on the subject of "${handler}"`, delivery, started);
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
    const cancelled = () => this.cancels?.has(job.id) || this.cancels?.has(job.batch);
    let ticket: LimitTicket | undefined;
    if (this.limits?.get(handler) && !cancelled() && attempt <= maxAttempts) {
      // a fleet-wide limit: wait (heartbeating, cancellable) for a slot and a turn before the job counts as running
      this.waiting.set(key, { id: job.id, batch: job.batch, abort, msg });
      let failure: unknown;
      try {
        ticket = await this.limits.acquire(handler, abort.signal);
      } catch (err) {
        failure = err; // cancelled or stopping while waiting (the abort reason is handled below), or NATS trouble
      } finally {
        this.waiting.delete(key);
      }
      if (!ticket && !(abort.signal.aborted && toWireError(abort.signal.reason).code === ErrorCodes.CANCELLED)) {
        // never started: back to the queue (a stopping proc's job goes to another worker at once; after
        // NATS trouble a second later, and the deliveries count, so it cannot come back forever)
        freeSlot();
        if (!abort.signal.aborted) log.warn(`could not take its fleet-wide limit (${(failure as Error)?.message}); it goes back to the queue`);
        msg.nak(abort.signal.aborted ? undefined : 1000);
        return;
      }
      started = Date.now();
    }
    const entry: InFlightJob = { id: job.id, batch: job.batch, handler, startedAt: started, timeoutMs, reply: msg.reply, delivery, attempt, maxAttempts };
    this.inFlight.set(key, { ...entry, abort, msg });
    this.o.onJobStarted?.(entry);
    try {
      if (cancelled() || (abort.signal.aborted && toWireError(abort.signal.reason).code === ErrorCodes.CANCELLED)) {
        // cancelled while queued: it never runs
        freeSlot();
        log.job("cancelled before it started");
        return await this.fail(job, msg, { code: ErrorCodes.CANCELLED, message: "cancelled (docctl cancel) before it started", retryable: false }, attempt, started, log);
      }
      if (attempt > maxAttempts) {
        const last = notes?.ended.at(-1);
        if (last && last.charged && last.cause === "watchdog" && last.delivery === delivery - 1) {
          // The last attempt ran past its limit with the event loop blocked: that is a TIMEOUT, said so.
          const error = {
            code: ErrorCodes.TIMEOUT,
            message: `attempt ${attempt - 1}/${maxAttempts} ran past its time limit and blocked its proc's event loop (synchronous work): ${last.message}`,
            retryable: false,
          };
          return await this.fail(job, msg, error, attempt - 1, started, log);
        }
        const ends = describeEnds(notes);
        const error = {
          code: ErrorCodes.ATTEMPTS_EXHAUSTED,
          message: ends
            ? `delivered ${delivery} times (${attempt - 1} attempts counted) but ${maxAttempts} attempts are allowed; how earlier deliveries ended: ${ends}`
            : `delivered ${attempt} times but ${maxAttempts} attempts are allowed: earlier attempts never finished (a proc died or lost its connection while running it)`,
          retryable: false,
        };
        return await this.fail(job, msg, error, attempt, started, log);
      }
      if (notes?.ended.length) log.warn(`attempt ${attempt}/${maxAttempts} (delivery ${delivery}); earlier: ${describeEnds(notes)}`);
      const problem = reg.check(job.payload);
      if (problem) {
        return await this.fail(job, msg, { code: ErrorCodes.BAD_PAYLOAD, message: clipMessage(problem), retryable: false }, attempt, started, log);
      }
      log.job(`started (attempt ${attempt}/${maxAttempts})`);
      let output: OutputRefV1 | undefined;
      const ctx: JobContext = {
        id: job.id,
        batch: job.batch,
        handler,
        attempt,
        maxAttempts,
        signal: abort.signal,
        heartbeat: () => msg.working(),
        output: async (bytes, opts) => (output = await this.storeOutput(job, bytes, opts)),
        log,
        worker: this.o.workerId,
        progress: (p) => this.reportProgress(key, job, p),
      };
      let value: unknown;
      try {
        const h0 = Date.now();
        value = await this.withLimits(reg, job, ctx, msg, timeoutMs, abort);
        this.timed(handler, Date.now() - h0);
        ticket?.release();
        freeSlot();
        log.trace(`handler returned in ${Date.now() - h0}ms`);
      } catch (err) {
        ticket?.release();
        freeSlot();
        const error = toWireError(err);
        if (error.retryable && attempt < maxAttempts) {
          const delay = backoffDelay(attempt - 1, this.o.retry ?? jobRetryBackoff);
          log.job(`failed with ${error.code}: ${error.message}; retry ${attempt + 1}/${maxAttempts} in ${delay}ms`);
          this.counters.jobsRetried++;
          this.o.metrics?.retried.inc({ handler });
          msg.nak(delay);
          return;
        }
        return await this.fail(job, msg, error, attempt, started, log);
      }
      const encoded = this.encodeOk(job, { ok: true, value: value === undefined ? null : value, output }, attempt, started);
      if ("error" in encoded) {
        // Running it again would give the same value: fail now, with the reason, instead of at every ack wait.
        return await this.fail(job, msg, encoded.error, attempt, started, log);
      }
      const p0 = Date.now();
      await this.publishResult(resultSubject(job.batch, job.id), encoded.bytes, msg);
      log.trace(`result stored: ${encoded.bytes.byteLength} bytes in ${Date.now() - p0}ms`);
      if (Workflows.involved(job)) await this.workflows.afterResult(job, { ok: true, value: value === undefined ? null : value } as ResultV1);
      msg.ack();
      log.debug(`acked (stream seq ${msg.info.streamSequence})`);
      this.counters.jobsDone++;
      this.o.metrics?.finished(handler, true, (Date.now() - started) / 1000);
      log.job(`done in ${Date.now() - started}ms`);
      this.o.onJobFinished?.({ id: job.id, handler, ok: true });
    } catch (err) {
      // Publishing the result failed (NATS away, store full): leave the job unacked so JetStream redelivers it.
      const full = storeProblem(err);
      log.error(`could not record the outcome, the job will be redelivered: ${full ?? (err as Error).message}`);
    } finally {
      ticket?.release();
      const ps = this.progressState.get(key);
      if (ps?.timer) clearTimeout(ps.timer);
      this.progressState.delete(key);
      this.inFlight.delete(key);
      if (this.inFlight.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  // Progress is best effort: a report that cannot be sent is logged, never fails the job. Reports
  // closer than 100 ms apart are folded: the latest is sent when the interval is over.
  private progressState = new Map<string, { last: number; timer?: ReturnType<typeof setTimeout>; sending?: Promise<void> }>();
  private async reportProgress(key: string, job: JobV1, p: Parameters<JobContext["progress"]>[0]): Promise<void> {
    const info = progressOf(p);
    const entry = this.inFlight.get(key);
    if (!entry) return;
    entry.progress = info;
    const st = this.progressState.get(key) ?? { last: 0 };
    this.progressState.set(key, st);
    const send = async () => {
      st.last = Date.now();
      st.timer = undefined;
      const cur = this.inFlight.get(key)?.progress;
      if (!cur) return this.progressState.delete(key), undefined;
      const msg = encodeProgress({ v: 1, id: job.id, batch: job.batch, handler: job.handler, worker: this.o.workerId, at: Date.now(), ...cur });
      try {
        await this.js.publish(progressSubject(job.batch, job.id), msg);
      } catch (err) {
        this.o.log.debug(`progress of ${job.id} not sent: ${(err as Error).message}`);
      }
    };
    const wait = st.last + 100 - Date.now();
    if (wait <= 0 && !st.timer) return (st.sending = send());
    st.timer ??= setTimeout(() => void (st.sending = send()), Math.max(0, wait));
  }

  // Runs the handler under its time limit (heartbeats come from the loop's ticker, see start()).
  private async withLimits(reg: RegisteredHandler, job: JobV1, ctx: JobContext, msg: JobMsg, timeoutMs: number, abort: AbortController) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = Object.assign(new Error(`attempt ran past its time limit of ${timeoutMs}ms`), { code: ErrorCodes.TIMEOUT, retryable: true });
        abort.abort(e);
        reject(e);
      }, timeoutMs);
      abort.signal.addEventListener("abort", () => reject(abort.signal.reason), { once: true });
    });
    const running = Promise.resolve().then(() => reg.def.handle(job.payload, ctx));
    try {
      return await Promise.race([running, timedOut]);
    } finally {
      clearTimeout(timer);
      if (abort.signal.aborted && toWireError(abort.signal.reason).code === ErrorCodes.CANCELLED) this.watchGrace(running, job);
    }
  }

  // A cancelled handler that does not return within the grace is still holding the proc's event loop
  // or resources: say so, and hand it to the watchdog (onCancelIgnored) to end the proc.
  private watchGrace(running: Promise<unknown>, job: JobV1): void {
    let settled = false;
    running.then(
      () => (settled = true),
      () => (settled = true),
    );
    const t = setTimeout(() => {
      if (settled) return;
      this.o.log.error(`[${job.handler}:${job.id}] the handler ignored its cancel signal for ${this.o.cancelGraceMs ?? 10_000}ms and is still running`);
      this.o.onCancelIgnored?.({ id: job.id, handler: job.handler });
    }, this.o.cancelGraceMs ?? 10_000);
    (t as { unref?: () => void }).unref?.();
  }

  private async fail(job: JobV1, msg: JobMsg, error: WireError, attempt: number, started: number, log: Logger) {
    error = { ...error, message: clipMessage(error.message) };
    if (error.code === ErrorCodes.CANCELLED) {
      // cancelled is not a failure to look into: a result, no dead letter
      log.job(`cancelled (attempt ${attempt})`);
      await this.finish(job, msg, { ok: false, error }, attempt, started);
      this.o.onJobFinished?.({ id: job.id, handler: job.handler, ok: false });
      return;
    }
    log.warn(`failed for good with ${error.code}: ${error.message}`);
    const dead = encodeDeadFitting({ v: 1, job, subject: msg.subject, error, attempts: attempt, worker: this.o.workerId, failed_at: Date.now() }, this.maxPayload());
    await this.js.publish(deadSubject(job.handler), dead, { msgID: `dead-${job.id}-${msg.info.streamSequence}` });
    await this.finish(job, msg, { ok: false, error }, attempt, started);
    this.counters.jobsFailed++;
    this.o.metrics?.dead.inc({ handler: job.handler });
    this.o.metrics?.finished(job.handler, false, (Date.now() - started) / 1000);
    this.o.onJobFinished?.({ id: job.id, handler: job.handler, ok: false });
  }

  // The result is stored (PubAck) before the job is acked: a crash in between means a redelivery, never a loss.
  private async finish(job: JobV1, msg: JobMsg, outcome: Pick<ResultV1, "ok" | "value" | "error" | "output">, attempt: number, started: number) {
    const encoded = this.encodeOk(job, outcome, attempt, started);
    if ("error" in encoded) throw new Error(`the failed result of ${job.id} cannot be encoded: ${encoded.error.message}`);
    await this.publishResult(resultSubject(job.batch, job.id), encoded.bytes, msg);
    if (Workflows.involved(job)) await this.workflows.afterResult(job, { ok: outcome.ok, value: outcome.value, error: outcome.error } as ResultV1);
    msg.ack();
  }

  // The encoded result, or why it cannot be sent: values msgpack cannot carry (a BigInt, a circular
  // object) and results over the server's max_payload fail at once with their own codes.
  private encodeOk(job: JobV1, outcome: Pick<ResultV1, "ok" | "value" | "error" | "output">, attempt: number, started: number): { bytes: Uint8Array } | { error: WireError } {
    const result: ResultV1 = {
      v: 1,
      id: job.id,
      batch: job.batch,
      handler: job.handler,
      ...outcome,
      attempts: attempt,
      worker: this.o.workerId,
      started_at: started,
      finished_at: Date.now(),
      ...(typeof job.hash === "string" ? { job_hash: job.hash } : {}),
    };
    let bytes: Uint8Array;
    try {
      bytes = encodeResult(result);
    } catch (err) {
      const why = /too deep/i.test((err as Error).message) ? "it nests too deep or refers to itself (a circular object)" : clipMessage((err as Error).message, 300);
      return {
        error: {
          code: ErrorCodes.RESULT_UNENCODABLE,
          message: `the handler's ${outcome.ok ? "return value" : "error"} cannot be sent as msgpack: ${why}. Return plain data (no BigInt, functions, class instances or cycles).`,
          retryable: false,
        },
      };
    }
    const max = this.maxPayload() - 1024;
    if (bytes.byteLength > max) {
      return {
        error: {
          code: ErrorCodes.RESULT_TOO_LARGE,
          message: `the result is ${bytes.byteLength} bytes encoded, over the ${max} bytes a message may carry (the server's max_payload less headers). Store documents with ctx.output(), which uses the object store.`,
          retryable: false,
        },
      };
    }
    return { bytes };
  }

  // The notes of a job, or undefined (no bucket yet, NATS slow: the delivery then counts as usual).
  private async notesOf(id: string): Promise<AttemptNotesV1 | undefined> {
    try {
      this.notes ??= AttemptNotes.open(this.o.nc);
      const n = await this.notes;
      if (!n) this.notes = undefined; // no supervisor has made the bucket yet: look again next time
      return await n?.get(id);
    } catch {
      this.notes = undefined;
      return undefined;
    }
  }

  private maxPayload(): number {
    return this.o.nc.info?.max_payload ?? 1024 * 1024;
  }

  // A result publish that times out (server restarting, cluster electing the results stream's leader)
  // is tried again for up to one ack wait, instead of leaving the job to be redelivered and run again:
  // the fault tests saw jobs run 4 times during an election. No message id is needed: the results
  // stream keeps one message per subject, so a publish stored twice is still one result.
  private async publishResult(subject: string, data: Uint8Array, msg?: JobMsg): Promise<void> {
    const once = () =>
      retrying(() => this.pub.publish(subject, data), {
        backoff: natsPublishBackoff,
        giveUpAt: Date.now() + this.topo.ackWaitMs,
        retryable: (err) => isTransientNatsError(err) && !this.o.nc.isClosed(),
        onRetry: (err) => this.o.log.debug(`storing a result failed (${(err as Error).message}); trying again`),
      });
    // A full store (disk, max_file_store, the stream's limits) does not pass by itself, but running the
    // job again would not help either: keep the job (in-progress acks) and its result, and try again
    // every few seconds for a while, saying why once. Redelivery had re-run jobs until they ended as
    // ATTEMPTS_EXHAUSTED, the cause only in the log as "unexpected error".
    await retrying(
      async (retry) => {
        if (retry > 0) msg?.working();
        await once();
      },
      {
        backoff: storeFullBackoff,
        giveUpAt: Date.now() + workerLoopDefaults.storeFullHoldMs,
        retryable: (err) => Boolean(storeProblem(err) && msg && this.state !== "stopped" && !this.o.nc.isClosed()),
        onRetry: (err, ms, retry) => {
          if (retry === 0) this.o.log.error(`${storeProblem(err)}; holding the finished job ${subject.split(".").at(-1)} and trying to store its result every ${ms / 1000} s`);
          msg?.working();
        },
      },
    );
  }

  // Bytes that are not a v1 job: a dead letter (with the raw bytes), a failed result when an id and
  // batch can be read from them, and an ack: retrying cannot make them decodable.
  private async badMessage(handler: string, msg: JobMsg, problem: string, attempt: number, started: number) {
    const error = { code: ErrorCodes.BAD_MESSAGE, message: clipMessage(`undecodable job on ${msg.subject}: ${problem}`), retryable: false };
    this.o.log.warn(`${error.message} (stream seq ${msg.info.streamSequence}, ${msg.data.byteLength} bytes)`);
    try {
      // Cut to fit under max_payload: 1 MB of garbage once made a dead letter too big to write, forever.
      const dead = encodeDeadFitting({ v: 1, job: null, raw: msg.data, subject: msg.subject, error, attempts: attempt, worker: this.o.workerId, failed_at: Date.now() }, this.maxPayload());
      await this.js.publish(deadSubject(handler), dead, { msgID: `dead-seq-${msg.info.streamSequence}` });
      const guess = peekIds(msg.data) ?? peekIdHeader(msg);
      if (guess) {
        const result: ResultV1 = { v: 1, id: guess.id, batch: guess.batch, handler, ok: false, error, attempts: attempt, worker: this.o.workerId, started_at: started, finished_at: Date.now() };
        await this.js.publish(resultSubject(guess.batch, guess.id), encodeResult(result));
      }
      msg.ack();
      this.counters.jobsFailed++;
      this.o.metrics?.dead.inc({ handler });
      this.o.metrics?.failed.inc({ handler });
    } catch (err) {
      // A delivery cap for garbage: retrying cannot make it decodable, and an endless redelivery keeps
      // the lag above 0 (the manager could never scale to zero).
      if (attempt >= BAD_MESSAGE_MAX_DELIVERIES) {
        this.o.log.error(
          `undecodable job on ${msg.subject} (stream seq ${msg.info.streamSequence}) dropped after ${attempt} deliveries: its dead letter could not be written (${storeProblem(err) ?? (err as Error).message})`,
        );
        msg.term();
        return;
      }
      this.o.log.error(`could not dead-letter an undecodable job, it will be redelivered: ${storeProblem(err) ?? (err as Error).message}`);
    }
  }

  // Small documents ride in the result itself (one message, no object-store round trips on either
  // side); larger ones go to the object store, which chunks them.
  private async storeOutput(job: JobV1, bytes: Uint8Array, opts: { filename: string; contentType: string }): Promise<OutputRefV1> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const meta = { size: bytes.byteLength, sha256, content_type: opts.contentType, filename: opts.filename };
    if (bytes.byteLength <= (this.o.inlineMaxBytes ?? workerLoopDefaults.inlineMaxBytes)) return { ...meta, data: bytes };
    this.outputs ??= outputsBucket(this.o.nc, this.topo);
    const os = await this.outputs;
    const name = `${job.batch}/${job.id}/${opts.filename}`;
    await os.putBlob({ name, description: opts.contentType, headers: ctHeaders(opts.contentType) }, bytes);
    return { ...meta, bucket: BUCKET_OUTPUTS, name };
  }
}

function ctHeaders(ct: string) {
  const h = headers();
  h.set("Content-Type", ct);
  return h;
}

function peekIds(data: Uint8Array): { id: string; batch: string } | undefined {
  try {
    const m = decode(data) as Record<string, unknown>;
    if (m && typeof m === "object" && !tokenProblem(m.id)) {
      const batch = tokenProblem(m.batch) ? (m.id as string) : (m.batch as string);
      return { id: m.id as string, batch };
    }
  } catch {
    /* not msgpack at all */
  }
  return undefined;
}

function peekIdHeader(msg: JobMsg): { id: string; batch: string } | undefined {
  const id = msg.headers?.get("Nats-Msg-Id");
  return id && !tokenProblem(id) ? { id, batch: id } : undefined;
}
