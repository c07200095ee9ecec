// The manager loop: poll lag, ask the policy, reconcile through a provider; one leader at a time.
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { formatDuration } from "../runtime/util/duration.ts";
import { backoffDelay, type Backoff } from "../runtime/util/backoff.ts";
import { workerStatus } from "../runtime/client/fleet.ts";
import { ProviderError, ProviderErrorCodes } from "./errors.ts";
import { readLag, TASKS_STREAM, type LagReading } from "./lag.ts";
import { Lease } from "./lease.ts";
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
  /** lifetime of the leader lease without renewal; a standby takes over this long after a leader dies */
  leaseTtlMs: number;
  /** this manager's id in the lease (default: a fresh `manager-<pid>-<random>` per instance) */
  id?: string;
  /** the tasks stream whose consumers' lag is read */
  stream: string;
  /** time limit of one status request when picking the least busy worker */
  statusTimeoutMs: number;
  /** KV bucket of the lease */
  leaseBucket?: string;
  /**
   * pause between creation rounds after servers never became ready or the provider refused to create
   * them (422, bad token, missing image): without it a broken snapshot is created and deleted forever
   */
  createBackoff: Backoff;
}

export const managerDefaults: ManagerOptions = {
  policy: policyDefaults,
  intervalMs: 5000,
  dryRun: false,
  leaseTtlMs: 15_000,
  stream: TASKS_STREAM,
  statusTimeoutMs: 500,
  createBackoff: { initialMs: 30_000, maxMs: 15 * 60_000, factor: 2, jitter: 0 },
};

/** What one tick saw and did (for logs, tests and /metrics). */
export interface TickReport {
  at: number;
  leader: boolean;
  lag?: LagReading;
  servers?: { ready: number; booting: number; draining: number; stuck: number };
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
    }
    report.leader = true;
    if (!this.jsm) throw new Error("manager not started");
    const lag = await readLag(this.jsm, this.opts.stream);
    report.lag = lag;
    const all = (await provider.list()).filter((s) => !this.drains.has(s.id));
    const stuck = all.filter((s) => s.state === "stuck");
    const live = all.filter((s) => s.state !== "stuck");
    const ready = live.filter((s) => s.state === "active").length;
    const booting = live.length - ready;
    report.servers = { ready, booting, draining: this.drains.size, stuck: stuck.length };
    if (stuck.length > 0 && !this.opts.dryRun) this.pauseCreates(`${stuck.length} server(s) never became ready`);

    for (const s of stuck) {
      log.error(`server ${s.name} (${s.id}) never became ready; ${this.opts.dryRun ? "would delete" : "deleting"} it`);
      if (this.opts.dryRun) continue;
      try {
        await provider.destroy(s);
        report.destroyed.push(s.id);
      } catch (err) {
        log.error(`could not delete ${s.name}: ${(err as Error).message}`);
      }
    }

    const recentWork = this.lastDelivered !== null && lag.delivered !== this.lastDelivered;
    this.lastDelivered = lag.delivered;
    const r = decide(this.opts.policy, this.state, { now: this.now(), lag: lag.total, ready, booting, draining: this.drains.size, recentWork });
    this.state = r.state;
    report.decision = r.decision;
    const d = r.decision;
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
      } else if (this.now() < this.createPausedUntil) {
        log.debug(`not creating for ${Math.ceil((this.createPausedUntil - this.now()) / 1000)}s more after failures`);
      } else {
        let made: Server[];
        try {
          made = await provider.create(d.delta);
        } catch (err) {
          // 5xx, 429 and network trouble are retried on the next tick; a refusal waits longer
          const transient = err instanceof ProviderError && (err.code === ProviderErrorCodes.UNAVAILABLE || err.code === ProviderErrorCodes.RATE_LIMITED);
          if (!transient) this.pauseCreates("the provider refused to create servers");
          throw err;
        }
        if (stuck.length === 0) this.createFailures = 0;
        report.created = made.map((s) => s.id);
        log.info(`created ${made.length} server(s): ${made.map((s) => s.name).join(", ")}`);
      }
    } else if (d.delta < 0) {
      const victims = await this.pickVictims(live, -d.delta);
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
  private async pickVictims(live: Server[], n: number): Promise<Server[]> {
    const scored = await Promise.all(
      live.map(async (s) => {
        if (s.state === "booting") return { s, load: -1 };
        const st = await workerStatus(this.deps.nc, s.workerId, this.opts.statusTimeoutMs);
        return { s, load: st?.in_flight ?? 0 };
      }),
    );
    scored.sort((a, b) => a.load - b.load || b.s.createdAt - a.s.createdAt);
    return scored.slice(0, n).map((x) => x.s);
  }

  /** Stops the loop, interrupts drains in progress (their servers are left for the next leader), releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ac.abort();
    await this.running;
    await Promise.all(this.drains.values());
    await this.lease?.stop();
    await this.deps.provider.stop?.();
    this.deps.log.info(`manager ${this.opts.id} stopped`);
  }
}
