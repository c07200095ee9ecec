// The manager loop: poll lag, ask the policy, reconcile through a provider; one leader at a time.
// tick() is a sequence of named steps; its options and reports are in manager-options.ts, the steps that
// need none of its state in manager-steps.ts, the decision in policy.ts, the creation gate (boot-failure
// streak, pause after refusals) in creation.ts.
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { formatDuration } from "../runtime/util/duration.ts";
import { listWorkers } from "../runtime/client/fleet.ts";
import type { PresenceV1 } from "../runtime/protocol/control.ts";
import { ServerBook, type ServersSeen, type ServerView } from "./server-book.ts";
import { ProviderError } from "./errors.ts";
import { readLag, type HandlerLag, type LagReading } from "../runtime/client/lag.ts";
import { servableLag } from "./servable.ts";
import { Lease } from "./lease.ts";
import { STATUS_KEY, statusOf } from "./status.ts";
import { migrateDelayedStream } from "../runtime/nats/delayed-migration.ts";
import { ensureStreams, topologyDefaults } from "../runtime/nats/topology.ts";
import { decide, initialPolicyState, policyDefaults, type Decision, type PolicyState } from "./policy.ts";
import { managerDefaults, type ManagerDeps, type ManagerOptions, type ManagerSnapshot, type TickReport } from "./manager-options.ts";
import { decisionGist, pickVictims, tickLine } from "./manager-steps.ts";
import { Creation } from "./creation.ts";

export { managerDefaults, type ManagerDeps, type ManagerOptions, type ManagerSnapshot, type TickReport } from "./manager-options.ts";

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
  private prevLag = new Map<string, HandlerLag>();
  private book = new ServerBook();
  /** when servers may be created (boot-failure streak, pause after refusals) */
  private creation: Creation;
  private snap: ManagerSnapshot;
  private ac: AbortController;
  private now: () => number;
  /** jobs wait for handlers no worker of this manager serves: said once per handler until they are gone */
  private unserved = new Set<string>();
  /** the last tick's report */
  last: TickReport | null = null;

  constructor(private deps: ManagerDeps, opts: Partial<ManagerOptions> = {}) {
    this.opts = { ...managerDefaults, ...opts, policy: { ...policyDefaults, ...opts.policy } };
    // two managers in one process (tests, `docctl up`) must never share a lease id
    this.opts.id ??= `manager-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.ac = deps.abort ?? new AbortController();
    this.now = deps.now ?? Date.now;
    this.creation = new Creation({ provider: deps.provider, log: deps.log, now: this.now, call: (p, op) => this.provider(p, op) }, this.opts);
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
      lastCause: "",
      serversKnown: false,
      created: 0,
      deleted: 0,
      lost: 0,
      lastSuccessfulTick: null,
      failedTicks: 0,
      lastError: null,
      unhealthyAfter: this.opts.unhealthyAfter,
    };
  }

  /** What the manager knows now (a copy). */
  snapshot(): ManagerSnapshot {
    return structuredClone({ ...this.snap, leader: this.leader, bootFailures: this.creation.bootFailures, halted: this.creation.halted });
  }

  /** boot times (s) and provider call durations measured since the last take, for /metrics histograms */
  private measured = { boots: [] as number[], calls: [] as { op: string; seconds: number }[] };
  takeMeasures(): { boots: number[]; calls: { op: string; seconds: number }[] } {
    const m = this.measured;
    this.measured = { boots: [], calls: [] };
    return m;
  }

  // Counts provider errors by code and times the calls for /metrics, and passes errors on.
  private async provider<T>(p: () => Promise<T>, op = "call"): Promise<T> {
    const t0 = performance.now();
    try {
      return await p();
    } catch (err) {
      const code = err instanceof ProviderError ? err.code : "OTHER";
      this.snap.providerErrors[code] = (this.snap.providerErrors[code] ?? 0) + 1;
      throw err;
    } finally {
      if (this.measured.calls.length < 10_000) this.measured.calls.push({ op, seconds: (performance.now() - t0) / 1000 });
    }
  }

  /** Whether this manager holds the lease (always true in dry-run). */
  get leader(): boolean {
    return this.opts.dryRun || (this.lease?.held ?? false);
  }

  /**
   * Opens the lease and makes sure the task stream can hold schedules, without starting the loop:
   * for a caller that drives tick() itself (tests, on their own clock). start() does it first.
   */
  async prepare(): Promise<void> {
    if (this.jsm) return;
    this.jsm = await jetstreamManager(this.deps.nc);
    if (!this.opts.dryRun) {
      this.lease = new Lease(this.deps.nc, { id: this.opts.id!, ttlMs: this.opts.leaseTtlMs, bucket: this.opts.leaseBucket });
      await this.lease.start();
      await this.startJobControl();
    }
  }

  /** Starts the lease and the loop; the first tick runs at once. */
  async start(): Promise<void> {
    await this.prepare();
    const p = this.opts.policy;
    this.deps.log.info(
      `manager ${this.opts.id}: provider ${this.deps.provider.name}, ${p.min}..${p.max} servers (${p.jobsPerWorker} jobs each until throughput is measured), ` +
        `every ${formatDuration(this.opts.intervalMs)}, boot ${formatDuration(p.bootMs ?? 0)} until measured, clear-time ${formatDuration(p.clearMs ?? 0)}, ` +
        `billing ${p.billingIncrementMs ? `per ${formatDuration(p.billingIncrementMs)}` : "per second"}${p.billingMinimumMs ? ` (minimum ${formatDuration(p.billingMinimumMs)})` : ""}, ` +
        `idle ${formatDuration(p.idleMs)}, cool-down ${formatDuration(p.cooldownMs)}${this.opts.dryRun ? ", DRY RUN: nothing will be changed" : ""}`,
    );
    this.loop();
  }

  private loop(): void {
    if (this.stopped) return;
    this.running = this.tick()
      .then((r) => {
        this.snap.at = this.now();
        if (r.leader) this.snap.lastSuccessfulTick = this.snap.at;
        this.snap.failedTicks = 0;
        this.snap.lastError = null;
      })
      .catch((err) => {
        // what the servers are is unknown now: not zero
        this.snap.serversKnown = false;
        this.snap.failedTicks++;
        this.snap.lastError = (err as Error).message;
        this.deps.log.error(`scaler tick failed${this.snap.failedTicks > 1 ? ` (${this.snap.failedTicks} in a row)` : ""}: ${(err as Error).message}`);
      })
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(() => this.loop(), this.opts.intervalMs);
      });
  }

  /** One round: lease, lag, list, policy, act. Exposed for tests; the loop calls it every interval. */
  async tick(): Promise<TickReport> {
    const report: TickReport = { at: this.now(), leader: false, created: [], draining: [], destroyed: [] };
    this.last = report;
    if (!(await this.holdLease())) return report;
    report.leader = true;
    if (!this.jsm) throw new Error("manager not started");
    const lag = await this.readServableLag();
    report.lag = lag;
    const now = this.now();
    const seen = await this.lookAtServers(now);
    const stillFailed = await this.deleteFailed(seen.failed, report);
    report.servers = { ready: seen.ready, booting: seen.booting, draining: this.drains.size, failed: seen.failed.length };
    this.recordServers(seen);
    this.creation.look({ failed: seen.failedNow, registered: seen.registered }, now); // step 6
    const d = this.decideNow(lag, seen, stillFailed, now);
    report.decision = d;
    await this.publishStatus(now);
    const say = this.sayDecision(tickLine(lag, { ready: seen.ready, booting: seen.booting, draining: this.drains.size }, d), d);
    if (d.delta > 0) report.created = await this.scaleUp(d.delta, now, say);
    else if (d.delta < 0) report.draining = await this.scaleDown(seen.live, -d.delta, say, lag.total > 0, d.removable);
    // counted by what was done: a wish to grow while creation is halted is no "up"
    this.snap.decisions[report.created.length ? "up" : report.draining.length ? "down" : "hold"]++;
    this.snap.created += report.created.length;
    return report;
  }

  // Step 1: take or renew the lease; says when this manager becomes the leader or a standby.
  private async holdLease(): Promise<boolean> {
    if (!this.lease) return true;
    const log = this.deps.log;
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
    if (held) log.debug(`lease ${this.opts.id}: held, renewed`);
    return held;
  }

  // Step 2: the lag, less what the workers this manager starts cannot serve (said once per handler).
  private async readServableLag(): Promise<LagReading> {
    const lag = await readLag(this.jsm!, this.opts.stream);
    if (!this.opts.handlers) return lag;
    const s = servableLag(lag, this.opts.handlers);
    this.reportUnserved(s.unserved.map((h) => ({ handler: h.handler, lag: h.lag })));
    return s.reading;
  }

  // Step 3: the provider's servers beside the workers' presence: which are ready, booting, failed.
  private async lookAtServers(now: number): Promise<ServersSeen> {
    const { provider, log } = this.deps;
    const presence = new Map<string, PresenceV1>((await listWorkers(this.deps.nc)).map((p) => [p.id, p]));
    const all = (await this.provider(() => provider.list(), "list")).filter((s) => !this.drains.has(s.id));
    const seen = this.book.look(all, presence, (id) => this.drains.has(id), now, this.opts.bootTimeoutMs, (sv) => provider.describeExit?.(sv));
    let failedNow = seen.vanished.length;
    for (const v of seen.vanished) {
      this.creation.noteExit(v.why);
      log.error(`server ${v.server.name} is gone before its worker registered: ${v.why}`);
    }
    for (const sv of seen.registered) log.info(`server ${sv.name}: worker ${sv.workerId} registered; it is capacity now`);
    for (const sv of seen.lost) {
      this.snap.lost++;
      log.error(`server ${sv.name} (${sv.id}, worker ${sv.workerId}) is gone and this manager did not remove it: deleted by hand, by another manager or by the provider? Jobs it had in flight are redelivered`);
    }
    const failed = seen.views.filter((v) => v.state === "failed");
    const live = seen.views.filter((v) => v.state !== "failed");
    const ready = live.filter((v) => v.state === "ready").length;
    for (const v of failed) if (!this.book.everRegistered(v.s.id)) failedNow++;
    return { views: seen.views, live, failed, ready, booting: live.length - ready, failedNow, registered: seen.registered.length, booted: seen.booted };
  }

  // Step 4: failed servers are deleted (a dry run only says so); returns how many could not be.
  private async deleteFailed(failed: ServerView[], report: TickReport): Promise<number> {
    const { provider, log } = this.deps;
    let stillFailed = 0;
    for (const v of failed) {
      log.error(`server ${v.s.name} (${v.s.id}): ${v.why}; ${this.opts.dryRun ? "would delete" : "deleting"} it`);
      if (this.opts.dryRun) continue;
      try {
        this.book.leaving(v.s.id);
        await this.provider(() => provider.destroy(v.s), "delete");
        report.destroyed.push(v.s.id);
        this.snap.deleted++;
      } catch (err) {
        stillFailed++;
        log.error(`could not delete ${v.s.name}: ${(err as Error).message}`);
      }
    }
    return stillFailed;
  }

  // Step 5: the servers in the snapshot (the dashboard's list, draining ones included).
  private recordServers(seen: ServersSeen): void {
    this.snap.servers = { booting: seen.booting, ready: seen.ready, draining: this.drains.size, failed: seen.failed.length };
    this.snap.serversKnown = true;
    this.snap.list = seen.views.map((v) => ({ id: v.s.id, name: v.s.name, workerId: v.s.workerId, state: v.state, why: v.why, createdAt: v.s.createdAt }));
    for (const id of this.drains.keys()) {
      const sv = this.book.server(id);
      if (sv) this.snap.list.push({ id, name: sv.name, workerId: sv.workerId, state: "draining", why: "scale-in", createdAt: sv.createdAt });
    }
  }

  // Step 7: the policy's decision, kept in the snapshot. The policy sees each handler's lag with what
  // arrived and was done since the last tick (its throughput measure), the servers with their creation
  // times (billing, when a booting one will serve) and the boot times just measured.
  private decideNow(lag: LagReading, seen: ServersSeen, stillFailed: number, now: number): Decision {
    const recentWork = this.lastDelivered !== null && lag.delivered !== this.lastDelivered;
    this.lastDelivered = lag.delivered;
    const handlers = lag.handlers.map((h) => {
      const p = this.prevLag.get(h.handler);
      // arrived = more waiting + more delivered; done = more delivered - more in flight
      const arrived = p ? Math.max(0, h.pending - p.pending + (h.delivered - p.delivered)) : 0;
      const completed = p ? Math.max(0, h.delivered - p.delivered - (h.ackPending - p.ackPending)) : 0;
      return { handler: h.handler, lag: h.lag, pending: h.pending, arrived, completed };
    });
    this.prevLag = new Map(lag.handlers.map((h) => [h.handler, h]));
    const servers = seen.live.map((v) => ({ id: v.s.id, createdAt: v.s.createdAt, ready: v.state === "ready" }));
    for (const b of seen.booted) if (this.measured.boots.length < 10_000) this.measured.boots.push(b / 1000);
    // servers that failed and could not be deleted still count against --max
    const r = decide(this.opts.policy, this.state, {
      now, lag: lag.total, ready: seen.ready, booting: seen.booting, draining: this.drains.size + stillFailed, recentWork,
      handlers, servers, booted: seen.booted, intervalMs: this.opts.intervalMs,
    });
    this.state = r.state;
    const d = r.decision;
    this.snap.desired = d.desired;
    this.snap.lag = lag.total;
    this.snap.lastReason = d.reason;
    this.snap.lastCause = d.cause;
    this.snap.at = now;
    return d;
  }

  // Step 8: for `docctl status` on any machine: the leader's view, expiring with the lease.
  private async publishStatus(now: number): Promise<void> {
    if (this.lease) await this.lease.put(STATUS_KEY, JSON.stringify(statusOf(this.snapshot(), now))).catch((err) => this.deps.log.debug(`manager status not published (docctl status shows the last one until it expires): ${(err as Error).message}`));
  }

  // Step 9: the tick's line, at info when it is news (see decisionGist), else at debug; returns that `say`.
  private sayDecision(line: string, d: Decision): (...a: unknown[]) => void {
    const log = this.deps.log;
    const gist = decisionGist(d);
    const news = gist !== this.lastReason || (d.delta !== 0 && !this.opts.dryRun);
    const say = (...a: unknown[]) => (news ? log.info(...a) : log.debug(...a));
    say(line);
    this.lastReason = gist;
    return say;
  }

  // Step 10a: create servers through the creation gate (creation.ts); returns the ids created.
  private async scaleUp(delta: number, now: number, say: (...a: unknown[]) => void): Promise<string[]> {
    const made = await this.creation.create(delta, now, say);
    if (!made) return [];
    // remembered now: one that is gone before the next look failed to come up too
    this.book.created(made);
    this.deps.log.info(`created ${made.length} server(s): ${made.map((s) => s.name).join(", ")}`);
    return made.map((s) => s.id);
  }

  // Step 10b: drain and delete the least busy servers (in the background); returns the ids draining.
  private async scaleDown(live: ServerView[], n: number, say: (...a: unknown[]) => void, lagAboveZero: boolean, removable?: string[]): Promise<string[]> {
    const { provider, log } = this.deps;
    // only servers whose paid time is used (the policy says which); while there is lag, only idle ones
    const may = removable ? new Set(removable) : null;
    const victims = await pickVictims(this.deps.nc, live.filter((v) => !may || may.has(v.s.id)), n, this.opts.statusTimeoutMs, lagAboveZero);
    if (victims.length < n) log.debug(`scale-in: ${victims.length} of ${n} server(s) can go now (the others have jobs in flight while there is lag)`);
    const draining: string[] = [];
    for (const v of victims) this.book.leaving(v.id);
    for (const v of victims) {
      if (this.opts.dryRun) {
        say(`dry run: would drain and delete ${v.name}`);
        continue;
      }
      draining.push(v.id);
      log.info(`draining ${v.name} (worker ${v.workerId})`);
      const p = provider
        .drainAndDelete(v, this.ac.signal)
        .then(() => void (this.ac.signal.aborted || this.snap.deleted++))
        .catch((err) => log.error(`could not drain and delete ${v.name}: ${(err as Error).message}`))
        .finally(() => this.drains.delete(v.id));
      this.drains.set(v.id, p);
    }
    return draining;
  }

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

  // Schedules and delayed jobs fire in the NATS server (message schedules): no manager fires or moves
  // anything. A manager only makes sure the task stream can hold them, and migrates once the delayed
  // jobs an older docctl left in DOCCTL_DELAYED.
  private async startJobControl(): Promise<void> {
    if (this.opts.jobControl === false) return;
    await ensureStreams(this.jsm!, topologyDefaults, { createOnly: true });
    await migrateDelayedStream(this.jsm!, this.deps.log).catch((err) => this.deps.log.warn(`delayed jobs of an older docctl not migrated yet: ${(err as Error).message}`));
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
