// The manager loop: poll lag, ask the policy, reconcile through a provider; one leader at a time.
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { formatDuration } from "../runtime/util/duration.ts";
import { backoffDelay, type Backoff } from "../runtime/util/backoff.ts";
import { listWorkers, workerStatus } from "../runtime/client/fleet.ts";
import { redactUrl } from "../runtime/util/log.ts";
import type { PresenceV1 } from "../runtime/protocol/control.ts";
import { initialBootStreak, nextBootStreak, type BootStreak, type ServerState } from "./readiness.ts";
import { ServerBook } from "./server-book.ts";
import { ProviderError, ProviderErrorCodes } from "./errors.ts";
import { readLag, type LagReading } from "../runtime/client/lag.ts";
import { servableLag } from "./servable.ts";
import { STREAM_TASKS } from "../runtime/protocol/subjects.ts";
import { Lease } from "./lease.ts";
import { STATUS_KEY, statusOf } from "./status.ts";
import { Scheduler } from "./scheduler.ts";
import { DelayedMover } from "../runtime/nats/delayed.ts";
import { ensureStreams, topologyDefaults } from "../runtime/nats/topology.ts";
import { decide, initialPolicyState, policyDefaults, type Decision, type PolicyOptions, type PolicyState } from "./policy.ts";
import type { Provider, ScalerLogger, Server } from "./providers/types.ts";

/** Manager options. Durations in ms. */
export interface ManagerOptions {
  /** the scaling policy's knobs */
  policy: PolicyOptions;
  /** how often to read lag and reconcile */
  intervalMs: number;
  /** log what would be done and change nothing (takes no lease either) */
  dryRun: boolean;
  /** fire schedules and move due delayed jobs (default true; never in a dry run) */
  jobControl?: boolean;
  /** lifetime of the leader lease without renewal; a standby takes over this long after a leader dies */
  leaseTtlMs: number;
  /** this manager's id in the lease (default: a fresh `manager-<pid>-<random>` per instance) */
  id?: string;
  /** the tasks stream whose consumers' lag is read */
  stream: string;
  /**
   * the handlers the workers this manager starts serve; when set, jobs for a handler outside it with
   * no consumer (nobody ever registered it) do not count as lag (servers could not work them off) and
   * are reported instead. Unset: all lag counts.
   */
  handlers?: string[];
  /** time limit of one status request when picking the least busy worker */
  statusTimeoutMs: number;
  /** KV bucket of the lease */
  leaseBucket?: string;
  /**
   * pause between creation rounds after servers never became ready or the provider refused to create
   * them (422, bad token, missing image): without it a broken snapshot is created and deleted forever
   */
  createBackoff: Backoff;
  /**
   * a server whose worker has not registered presence this long after its creation (or after it went
   * away) is deleted and replaced: the cloud saying "active" is not capacity
   */
  bootTimeoutMs: number;
  /** after this many servers in a row never came up, stop creating and say why */
  maxBootFailures: number;
  /** while stopped after boot failures, try one server this often to see whether the cause is fixed */
  probeMs: number;
  /** the NATS URL the workers are told to use (named, masked, when servers never come up) */
  workerNatsUrl?: string;
}

export const managerDefaults: ManagerOptions = {
  policy: policyDefaults,
  intervalMs: 5000,
  dryRun: false,
  leaseTtlMs: 15_000,
  stream: STREAM_TASKS,
  statusTimeoutMs: 500,
  createBackoff: { initialMs: 30_000, maxMs: 15 * 60_000, factor: 2, jitter: 0 },
  bootTimeoutMs: 10 * 60_000,
  maxBootFailures: 3,
  probeMs: 15 * 60_000,
};

/** What the manager knows now, for /metrics, the dashboard and `docctl status`. */
export interface ManagerSnapshot {
  id: string;
  provider: string;
  leader: boolean;
  /** servers by state (ready = its worker registered) */
  servers: Record<ServerState, number>;
  /** each server, for the dashboard */
  list: { id: string; name: string; workerId: string; state: ServerState; why: string; createdAt: number }[];
  desired: number | null;
  lag: number | null;
  lastReason: string;
  /** decisions taken, by action */
  decisions: Record<"up" | "down" | "hold", number>;
  /** provider API errors, by ProviderError code */
  providerErrors: Record<string, number>;
  /** servers in a row whose worker never registered */
  bootFailures: number;
  /** why creating stopped (null while creating) */
  halted: string | null;
  at: number;
}

/** What one tick saw and did (for logs, tests and /metrics). */
export interface TickReport {
  at: number;
  leader: boolean;
  lag?: LagReading;
  servers?: { ready: number; booting: number; draining: number; failed: number };
  decision?: Decision;
  created: string[];
  draining: string[];
  destroyed: string[];
  error?: string;
}

export interface ManagerDeps {
  nc: NatsConnection;
  provider: Provider;
  log: ScalerLogger;
  /** the clock (tests may pass their own) */
  now?: () => number;
  /** aborted by stop(): share it with the provider's HTTP client so its waits end too */
  abort?: AbortController;
}

/** Runs the scaling loop. `start()` returns once the loop runs; `stop()` resolves when nothing is left running. */
export class Manager {
  private opts: ManagerOptions;
  private lease: Lease | null = null;
  private scheduler?: Scheduler;
  private mover?: DelayedMover;
  private jsm: JetStreamManager | null = null;
  private state: PolicyState = initialPolicyState;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<unknown> | null = null;
  private drains = new Map<string, Promise<void>>();
  private stopped = false;
  private wasLeader: boolean | null = null;
  private lastReason = "";
  private lastDelivered: number | null = null;
  private createFailures = 0;
  private createPausedUntil = 0;
  private book = new ServerBook();
  private streak: BootStreak = initialBootStreak;
  private nextProbeAt = 0;
  private lastExit = new Map<string, string>();
  private snap: ManagerSnapshot;
  private ac: AbortController;
  private now: () => number;
  /** the last tick's report */
  last: TickReport | null = null;

  constructor(private deps: ManagerDeps, opts: Partial<ManagerOptions> = {}) {
    this.opts = { ...managerDefaults, ...opts, policy: { ...policyDefaults, ...opts.policy } };
    // two managers in one process (tests, `docctl up`) must never share a lease id
    this.opts.id ??= `manager-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.ac = deps.abort ?? new AbortController();
    this.now = deps.now ?? Date.now;
    this.snap = {
      id: this.opts.id!,
      provider: deps.provider.name,
      leader: false,
      servers: { booting: 0, ready: 0, draining: 0, failed: 0 },
      list: [],
      desired: null,
      lag: null,
      lastReason: "",
      decisions: { up: 0, down: 0, hold: 0 },
      providerErrors: {},
      bootFailures: 0,
      halted: null,
      at: this.now(),
    };
  }

  /** What the manager knows now (a copy). */
  snapshot(): ManagerSnapshot {
    return structuredClone({ ...this.snap, leader: this.leader, bootFailures: this.streak.failures, halted: this.streak.halted });
  }

  // Counts provider errors by code for /metrics, and passes them on.
  private async provider<T>(p: () => Promise<T>): Promise<T> {
    try {
      return await p();
    } catch (err) {
      const code = err instanceof ProviderError ? err.code : "OTHER";
      this.snap.providerErrors[code] = (this.snap.providerErrors[code] ?? 0) + 1;
      throw err;
    }
  }

  /** Whether this manager holds the lease (always true in dry-run). */
  get leader(): boolean {
    return this.opts.dryRun || (this.lease?.held ?? false);
  }

  /** Starts the lease and the loop; the first tick runs at once. */
  async start(): Promise<void> {
    this.jsm = await jetstreamManager(this.deps.nc);
    if (!this.opts.dryRun) {
      this.lease = new Lease(this.deps.nc, { id: this.opts.id!, ttlMs: this.opts.leaseTtlMs, bucket: this.opts.leaseBucket });
      await this.lease.start();
      await this.startJobControl();
    }
    const p = this.opts.policy;
    this.deps.log.info(
      `manager ${this.opts.id}: provider ${this.deps.provider.name}, ${p.min}..${p.max} servers at ${p.jobsPerWorker} jobs each, ` +
        `every ${formatDuration(this.opts.intervalMs)}, idle ${formatDuration(p.idleMs)}, cool-down ${formatDuration(p.cooldownMs)}${this.opts.dryRun ? ", DRY RUN: nothing will be changed" : ""}`,
    );
    this.loop();
  }

  private loop(): void {
    if (this.stopped) return;
    this.running = this.tick()
      .then(() => void (this.snap.at = this.now()))
      .catch((err) => this.deps.log.error(`scaler tick failed: ${(err as Error).message}`))
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(() => this.loop(), this.opts.intervalMs);
      });
  }

  /** One round: lease, lag, list, policy, act. Exposed for tests; the loop calls it every interval. */
  async tick(): Promise<TickReport> {
    const { provider, log } = this.deps;
    const report: TickReport = { at: this.now(), leader: false, created: [], draining: [], destroyed: [] };
    this.last = report;
    if (this.lease) {
      const held = await this.lease.tryAcquire();
      if (held !== this.wasLeader) {
        if (held) {
          log.info(`manager ${this.opts.id} is the leader`);
          this.state = initialPolicyState; // idle and cool-down timers start from the takeover
        } else {
          const h = this.lease.holder;
          log.info(`manager ${this.opts.id} is on standby${h ? `: ${h.id} on ${h.host} (pid ${h.pid}) leads` : ""}`);
        }
        this.wasLeader = held;
      }
      if (!held) return report;
      log.debug(`lease ${this.opts.id}: held, renewed`);
    }
    report.leader = true;
    if (!this.jsm) throw new Error("manager not started");
    let lag = await readLag(this.jsm, this.opts.stream);
    if (this.opts.handlers) {
      const s = servableLag(lag, this.opts.handlers);
      lag = s.reading;
      this.reportUnserved(s.unserved.map((h) => ({ handler: h.handler, lag: h.lag })));
    }
    report.lag = lag;
    const now = this.now();
    const presence = new Map<string, PresenceV1>((await listWorkers(this.deps.nc)).map((p) => [p.id, p]));
    const all = (await this.provider(() => provider.list())).filter((s) => !this.drains.has(s.id));
    const seen = this.book.look(all, presence, (id) => this.drains.has(id), now, this.opts.bootTimeoutMs, (sv) => provider.describeExit?.(sv));
    const views = seen.views;
    let failedNow = seen.vanished.length;
    for (const v of seen.vanished) {
      this.lastExit.set(provider.name, v.why);
      log.error(`server ${v.server.name} is gone before its worker registered: ${v.why}`);
    }
    for (const sv of seen.registered) log.info(`server ${sv.name}: worker ${sv.workerId} registered; it is capacity now`);
    const failed = views.filter((v) => v.state === "failed");
    const live = views.filter((v) => v.state !== "failed");
    const ready = live.filter((v) => v.state === "ready").length;
    const booting = live.length - ready;
    let stillFailed = 0;
    for (const v of failed) {
      if (!this.book.everRegistered(v.s.id)) failedNow++;
      log.error(`server ${v.s.name} (${v.s.id}): ${v.why}; ${this.opts.dryRun ? "would delete" : "deleting"} it`);
      if (this.opts.dryRun) continue;
      try {
        this.book.leaving(v.s.id);
        await this.provider(() => provider.destroy(v.s));
        report.destroyed.push(v.s.id);
      } catch (err) {
        stillFailed++;
        log.error(`could not delete ${v.s.name}: ${(err as Error).message}`);
      }
    }
    report.servers = { ready, booting, draining: this.drains.size, failed: failed.length };
    this.snap.servers = { booting, ready, draining: this.drains.size, failed: failed.length };
    this.snap.list = views.map((v) => ({ id: v.s.id, name: v.s.name, workerId: v.s.workerId, state: v.state, why: v.why, createdAt: v.s.createdAt }));
    for (const id of this.drains.keys()) {
      const sv = this.book.server(id);
      if (sv) this.snap.list.push({ id, name: sv.name, workerId: sv.workerId, state: "draining", why: "scale-in", createdAt: sv.createdAt });
    }
    const wasHalted = this.streak.halted;
    this.streak = nextBootStreak(this.streak, { failed: failedNow, registered: seen.registered.length }, this.opts.maxBootFailures, (n) => this.diagnosis(n));
    if (this.streak.halted && !wasHalted) {
      log.error(this.streak.halted);
      this.nextProbeAt = now + this.opts.probeMs;
    }
    if (!this.streak.halted && wasHalted) log.info(`a worker registered: creating servers again`);

    const recentWork = this.lastDelivered !== null && lag.delivered !== this.lastDelivered;
    this.lastDelivered = lag.delivered;
    // servers that failed and could not be deleted still count against --max
    const r = decide(this.opts.policy, this.state, { now, lag: lag.total, ready, booting, draining: this.drains.size + stillFailed, recentWork });
    this.state = r.state;
    report.decision = r.decision;
    const d = r.decision;
    this.snap.desired = d.desired;
    this.snap.lag = lag.total;
    this.snap.lastReason = d.reason;
    this.snap.at = now;
    this.snap.decisions[d.delta > 0 ? "up" : d.delta < 0 ? "down" : "hold"]++;
    // for `docctl status` on any machine: the leader's view, expiring with the lease
    if (this.lease) await this.lease.put(STATUS_KEY, JSON.stringify(statusOf(this.snapshot(), now))).catch(() => {});
    const line = `lag ${lag.total}${lag.streamExists ? "" : " (no tasks stream yet)"}${lag.handlers.length ? ` (${lag.handlers.map((h) => `${h.handler}:${h.lag}`).join(" ")})` : ""}; servers ${ready} ready, ${booting} booting, ${this.drains.size} draining → ${d.desired}: ${d.reason}`;
    // a dry run repeats the same wish every tick: say it once until it changes
    // (numbers aside: "no lag for 3s" then "no lag for 4s" is the same news)
    const gist = d.reason.replace(/\d+(\.\d+)?/g, "#");
    const news = gist !== this.lastReason || (d.delta !== 0 && !this.opts.dryRun);
    const say = (...a: unknown[]) => (news ? log.info(...a) : log.debug(...a));
    say(line);
    this.lastReason = gist;

    if (d.delta > 0) {
      if (this.opts.dryRun) {
        say(`dry run: would create ${d.delta} server(s) on ${provider.name}`);
      } else if (this.streak.halted && now < this.nextProbeAt) {
        log.debug(`not creating: ${this.streak.halted}`);
      } else if (now < this.createPausedUntil) {
        log.debug(`not creating for ${Math.ceil((this.createPausedUntil - now) / 1000)}s more after failures`);
      } else {
        let n = d.delta;
        if (this.streak.halted) {
          // one server to see whether the cause was fixed; the streak clears when its worker registers
          n = 1;
          this.nextProbeAt = now + this.opts.probeMs;
          log.warn(`creating one server to see whether the cause is fixed (servers in a row that never came up: ${this.streak.failures})`);
        }
        let made: Server[];
        try {
          made = await this.provider(() => provider.create(n));
        } catch (err) {
          // 5xx, 429 and network trouble are retried on the next tick; a refusal waits longer
          const transient = err instanceof ProviderError && (err.code === ProviderErrorCodes.UNAVAILABLE || err.code === ProviderErrorCodes.RATE_LIMITED);
          if (!transient) this.pauseCreates("the provider refused to create servers");
          throw err;
        }
        this.createFailures = 0;
        report.created = made.map((s) => s.id);
        // remembered now: one that is gone before the next look failed to come up too
        this.book.created(made);
        log.info(`created ${made.length} server(s): ${made.map((s) => s.name).join(", ")}`);
      }
    } else if (d.delta < 0) {
      const victims = await this.pickVictims(live, -d.delta);
      for (const v of victims) this.book.leaving(v.id);
      for (const v of victims) {
        if (this.opts.dryRun) {
          say(`dry run: would drain and delete ${v.name}`);
          continue;
        }
        report.draining.push(v.id);
        log.info(`draining ${v.name} (worker ${v.workerId})`);
        const p = provider
          .drainAndDelete(v, this.ac.signal)
          .catch((err) => log.error(`could not drain and delete ${v.name}: ${(err as Error).message}`))
          .finally(() => this.drains.delete(v.id));
        this.drains.set(v.id, p);
      }
    }
    return report;
  }

  // What to tell the operator when servers keep failing to come up: what the manager saw, and what to check.
  private diagnosis(n: number): string {
    const url = redactUrl(this.opts.workerNatsUrl ?? this.deps.provider.natsUrl ?? "(the --worker-nats URL)");
    const last = this.lastExit.get(this.deps.provider.name);
    const hints = this.deps.provider.failureHints?.() ?? [];
    return (
      `STOPPED CREATING SERVERS: ${n} server(s) in a row never had a worker register within --boot-timeout ` +
      `${Math.round(this.opts.bootTimeoutMs / 1000)}s${last ? ` (last: ${last})` : ""}. Check: ` +
      [
        ...hints,
        `the workers can reach NATS at ${url} (address, port, firewall)`,
        `the NATS credentials the workers use are accepted (nats-server logs "authorization violation" otherwise)`,
      ].join("; ") +
      `. One server is tried every ${Math.round(this.opts.probeMs / 60_000)}m; restart the manager once fixed to try at once.`
    );
  }

  /** jobs wait for handlers no worker of this manager serves: said once per handler until they are gone */
  private unserved = new Set<string>();
  private reportUnserved(hs: { handler: string; lag: number }[]): void {
    const now = new Set(hs.map((h) => h.handler));
    for (const h of hs) {
      if (this.unserved.has(h.handler)) continue;
      this.deps.log.warn(
        `${h.lag} job(s) wait for handler "${h.handler}", which the workers this manager starts do not serve: not scaling for them ` +
          `(add its plugin to --worker-args "--plugins DIR", or start a worker that has it)`,
      );
    }
    this.unserved = now;
  }

  private pauseCreates(why: string): void {
    this.createFailures++;
    const ms = backoffDelay(this.createFailures - 1, this.opts.createBackoff);
    this.createPausedUntil = this.now() + ms;
    this.deps.log.error(`${why}: no new servers for ${Math.round(ms / 1000)}s (failure ${this.createFailures} in a row)`);
  }

  /**
   * The servers to remove: booting ones first (they hold no work yet), then running ones with
   * the fewest jobs in flight, asked over the control subject (no answer counts as idle).
   */
  private async pickVictims(live: { s: Server; state: ServerState }[], n: number): Promise<Server[]> {
    const scored = await Promise.all(
      live.map(async ({ s, state }) => {
        if (state === "booting") return { s, load: -1 };
        const st = await workerStatus(this.deps.nc, s.workerId, this.opts.statusTimeoutMs);
        return { s, load: st?.in_flight ?? 0 };
      }),
    );
    scored.sort((a, b) => a.load - b.load || b.s.createdAt - a.s.createdAt);
    return scored.slice(0, n).map((x) => x.s);
  }

  // Every manager (leader or standby) fires schedules and moves due delayed jobs: a fleet scaled to zero
  // has no worker to do it, and ids derived from schedule and tick make a second firing a duplicate.
  private async startJobControl(): Promise<void> {
    if (this.opts.jobControl === false) return;
    await ensureStreams(this.jsm!, topologyDefaults, { createOnly: true });
    this.scheduler = new Scheduler(this.deps.nc, this.deps.log);
    await this.scheduler.start();
    this.mover = new DelayedMover(this.deps.nc, { log: this.deps.log, worker: this.opts.id! });
    await this.mover.start();
  }

  /** Stops the loop, interrupts drains in progress (their servers are left for the next leader), releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ac.abort();
    await this.scheduler?.stop();
    await this.mover?.stop();
    await this.running;
    await Promise.all(this.drains.values());
    await this.lease?.stop();
    await this.deps.provider.stop?.();
    this.deps.log.info(`manager ${this.opts.id} stopped`);
  }
}
