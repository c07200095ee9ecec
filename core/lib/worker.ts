// Worker: runs handlers in this process (no supervisor, no child processes), pulling their jobs from NATS.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { HandlerModule } from "../runtime/protocol/types.ts";
import type { TopologyOptions } from "../runtime/nats/topology.ts";
import { HandlerRegistry } from "../runtime/worker/registry.ts";
import { WorkerLoop, workerLoopDefaults } from "../runtime/worker/loop.ts";
import type { Backoff } from "../runtime/util/backoff.ts";
import { ControlPlane, controlDefaults } from "../runtime/supervisor/control-plane.ts";
import type { SupervisorStatus } from "../runtime/supervisor/supervisor.ts";
import { holdConnection, releaseConnection, type HeldConnection, type NatsTarget } from "./connection.ts";
import { toRuntimeLogger, type LibLogger } from "./logger.ts";
import { toWorkerStats, type WorkerStats } from "./shapes.ts";
import { DocctlError, InputError } from "../runtime/protocol/errors.ts";

/** Options of a Worker. */
export interface WorkerOptions extends NatsTarget {
  /** job type → handler (from defineHandler, or a bare `(payload, ctx) => result` function) */
  handlers: Record<string, HandlerModule>;
  /**
   * jobs of each handler in flight at once
   * @defaultValue 4
   */
  concurrency?: number;
  /**
   * the worker's id in results
   * @defaultValue host, pid and a random suffix
   */
  id?: string;
  /**
   * where the worker logs; `console` logs job lines too
   * @defaultValue warnings and errors to the console
   */
  logger?: LibLogger;
  /**
   * attempts when neither the job nor the handler says
   * @defaultValue 3
   */
  maxAttempts?: number;
  /**
   * time limit of one attempt when neither the job nor the handler says, ms
   * @defaultValue 60000 (60 s)
   */
  timeoutMs?: number;
  /**
   * how retryable failures are spaced
   * @defaultValue the job retry backoff (1 s doubling, with jitter, up to 5 min)
   */
  retry?: Backoff;
  /**
   * stream and consumer limits (ack wait, retention ...)
   * @defaultValue `TopologyOptions`' defaults
   */
  topology?: Partial<TopologyOptions>;
  /**
   * publish a presence entry and answer control requests like a `docctl worker`: then
   * `docctl job ID`, `jobs --state running`, `docctl status` and `cancel` see its running jobs, and
   * `docctl pause/resume/drain ID` reach it
   * @defaultValue true
   */
  presence?: boolean;
  /**
   * labels shown with its presence entry (`docctl status`)
   * @defaultValue none
   */
  labels?: Record<string, string>;
}

/**
 * An embedded worker. `start()` connects, creates the streams and consumers and begins pulling;
 * `drain()` stops pulling and resolves once in-flight jobs are done; `close()` drains and closes the
 * connection it opened. It installs no signal handlers and writes no environment: the process is yours.
 */
export class Worker {
  readonly id: string;
  private readonly registry = new HandlerRegistry();
  private held?: HeldConnection;
  private loop?: WorkerLoop;
  private starting?: Promise<void>;
  private closing?: Promise<void>;
  private control?: ControlPlane;
  private startedAt = Date.now();

  constructor(private readonly opts: WorkerOptions) {
    if (!opts || (typeof opts.nats !== "string" && typeof opts.nats?.publish !== "function")) {
      throw new InputError("new Worker({ nats, handlers }): `nats` must be a server URL or a NatsConnection");
    }
    const names = Object.keys(opts.handlers ?? {});
    if (names.length === 0) throw new InputError("new Worker({ nats, handlers }): give at least one handler");
    for (const name of names) this.registry.register(name, opts.handlers[name]!, `handlers.${name}`);
    this.id = opts.id ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`.replace(/[^A-Za-z0-9_-]/g, "-");
  }

  /** Connect, set up streams and consumers, run handlers' setup(), and begin pulling. */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  /**
   * Finish in-flight jobs and take no new ones until resume(). Resolves once nothing more is delivered
   * (jobs fetched ahead and not started are handed back to the queue).
   */
  async pause(): Promise<void> {
    const held = this.loop?.pause();
    this.control?.changed();
    await held;
  }

  resume(): void {
    this.loop?.resume();
    this.control?.changed();
  }

  /** Stop taking jobs, finish those in flight, run handlers' teardown(). The connection stays open. */
  async drain(): Promise<void> {
    await this.starting?.catch(() => {}); // a failed start was thrown to start()'s caller; drain only waits for it
    this.control?.changed();
    await this.loop?.drain();
    await this.control?.stop();
  }

  /** Drain, then close the connection if the worker opened it. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.drain();
      await releaseConnection(this.held);
    })();
    return this.closing;
  }

  /** What the worker is doing: its state, counters and jobs in flight. */
  stats(): WorkerStats {
    return toWorkerStats(this.loop?.stats() ?? { state: "starting", jobsDone: 0, jobsFailed: 0, jobsRetried: 0, inFlight: [] });
  }

  private async doStart(): Promise<void> {
    if (this.closing) throw new DocctlError("CLOSED", "this Worker is closed");
    this.held = await holdConnection(this.opts, `docctl worker ${this.id}`, true);
    const log = toRuntimeLogger(this.opts.logger);
    this.loop = new WorkerLoop({
      nc: this.held.nc,
      registry: this.registry,
      concurrency: this.opts.concurrency ?? workerLoopDefaults.concurrency,
      workerId: this.id,
      log,
      maxAttempts: this.opts.maxAttempts,
      timeoutMs: this.opts.timeoutMs,
      retry: this.opts.retry,
      topology: this.opts.topology,
      onJobStarted: () => this.control?.changed(),
      onJobFinished: () => this.control?.changed(),
    });
    try {
      await this.loop.start();
      if (this.opts.presence !== false) {
        this.control = new ControlPlane({
          nc: this.held.nc,
          id: this.id,
          host: hostname(),
          pid: process.pid,
          version: "library",
          startedAt: this.startedAt,
          labels: { embedded: "true", ...this.opts.labels },
          handlers: Object.keys(this.opts.handlers),
          presenceTtlMs: controlDefaults.presenceTtlMs,
          refreshMs: controlDefaults.refreshMs,
          log,
          target: {
            status: () => this.asSupervisor(),
            pause: () => this.pause(),
            resume: () => this.resume(),
            drain: () => void this.drain(),
          },
        });
        await this.control.start();
      }
    } catch (err) {
      // the start's own error is thrown below; a drain failing after it would only hide that one
      await this.loop.drain().catch(() => {});
      await releaseConnection(this.held);
      throw err;
    }
  }

  // The worker as a supervisor of one proc (itself), for its presence entry and control replies.
  private asSupervisor(): SupervisorStatus {
    const s = this.stats();
    const now = Date.now();
    const state = s.state === "starting" ? "idle" : s.state;
    return {
      state,
      procs: [
        {
          name: "embedded",
          handler: null,
          pid: process.pid,
          state: s.state === "stopped" ? "STOPPED" : s.state === "draining" ? "DRAINING" : s.state === "starting" ? "STARTING" : "RUNNING",
          loop: s.state,
          restarts: 0,
          jobsDone: s.jobsDone,
          jobsFailed: s.jobsFailed,
          inFlight: s.inFlight.map((j) => ({ id: j.id, handler: j.handler, ageMs: now - j.startedAt, batch: j.batch, attempt: j.attempt, startedAt: j.startedAt, progress: j.progress })),
          startedAt: this.startedAt,
          lastExit: null,
        },
      ],
    };
  }
}
