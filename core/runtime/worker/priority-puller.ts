// One handler's jobs of three priorities: a pull request open on each priority's consumer, jobs that
// arrive beyond the free slots held (heartbeated) here, and free slots given high → normal → low.
import type { JobMsg } from "../nats/job-msg.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { Puller } from "../nats/puller.ts";
import { PRIORITIES, priorityConsumer, type Priority } from "../protocol/subjects.ts";
import { pickPriority } from "./priority.ts";

export interface PriorityPullerOptions {
  stream: string;
  handler: string;
  expiresMs: number;
  /** held jobs are heartbeated this often so JetStream does not redeliver them, ms */
  heartbeatMs: number;
  /** a job was given a slot */
  onMessage(m: JobMsg): void;
  /** `n` slots asked for will not be filled now */
  onUnfilled(n: number): void;
}

interface Held {
  msg: JobMsg;
  priority: Priority;
  since: number;
}

/**
 * The same interface as Puller (pull(n) → at most n onMessage calls, or onUnfilled), over the three
 * consumers of a handler. A request of `want` jobs goes to every consumer that does not already have
 * one open for as many, so a high job is fetched even while normal ones keep the slots busy; what
 * arrives beyond the free slots waits here (at most one request's worth per priority) and is heartbeated.
 */
export class PriorityPuller {
  private pullers: { priority: Priority; puller: Puller }[];
  private held: Held[] = [];
  private grant = 0;
  /** starts in a row that passed over a waiting lower-priority job (see pickPriority) */
  private streak = 0;
  private ticker: ReturnType<typeof setInterval>;
  private stopping = false;
  /** consumers asked (no-wait) for higher-priority jobs before a held lower one is given a slot */
  private probes: Puller[] = [];
  /**
   * Jobs asked for beyond the free slots, held here until one frees (heartbeated meanwhile). The loop
   * sets it while a handler's jobs are short: the next job is then already here when a slot frees,
   * instead of a pull round trip later (at concurrency 1 that round trip was most of a job's time).
   */
  ahead = 0;

  constructor(nc: NatsConnection, private o: PriorityPullerOptions) {
    this.pullers = PRIORITIES.map((priority) => ({
      priority,
      puller: new Puller(nc, {
        stream: o.stream,
        consumer: priorityConsumer(o.handler, priority),
        expiresMs: o.expiresMs,
        onMessage: (m) => {
          this.held.push({ msg: m, priority, since: Date.now() });
          this.afterEvent();
        },
        onUnfilled: () => {
          this.afterEvent();
          this.maybeReturn();
        },
      }),
    }));
    this.ticker = setInterval(() => {
      for (const h of this.held) h.msg.working();
    }, o.heartbeatMs);
  }

  /** Ask for `n` jobs. */
  pull(n: number): void {
    this.grant += n;
    if (!this.probe()) this.dispatch();
    if (this.grant <= 0 && this.ahead === 0) return;
    for (const { puller } of this.pullers) {
      // A consumer being probed gets no long pull until its probe has ended: the probe's end is told
      // by the consumer having nothing outstanding, and a long pull beside it held every job fetched
      // ahead (and so the proc) until that pull expired, every time the probe found nothing.
      if (this.probes.includes(puller)) continue;
      const want = this.grant + this.ahead - this.held.length - puller.outstanding;
      if (want > 0) puller.pull(want);
    }
  }

  /** Jobs held here, by priority (for stats). */
  get waiting(): number {
    return this.held.length;
  }

  // A held job (fetched while the slots were busy) may be older news than a higher-priority job queued
  // since: before it gets a slot, the higher priorities' consumers are asked, without waiting, for what
  // they have now. A probe answers at once (jobs or a 404).
  private probe(): boolean {
    if (this.probes.length || !this.held.length || this.grant <= 0) return this.probes.length > 0;
    const rank = (p: Priority) => PRIORITIES.indexOf(p);
    const best = Math.min(...this.held.map((h) => rank(h.priority)));
    for (const { priority, puller } of this.pullers) {
      if (rank(priority) < best && puller.outstanding === 0) {
        puller.pull(this.grant, { noWait: true });
        this.probes.push(puller);
      }
    }
    return this.probes.length > 0;
  }

  private afterEvent(): void {
    if (this.probes.length && this.probes.every((p) => p.outstanding === 0)) this.probes = [];
    if (!this.probes.length) this.dispatch();
  }

  private dispatch(): void {
    while (this.grant > 0 && this.held.length) {
      const oldest = (p: Priority) => this.held.find((h) => h.priority === p);
      const choice = pickPriority({ high: !!oldest("high"), normal: !!oldest("normal"), low: !!oldest("low") }, this.streak);
      this.streak = choice.streak;
      const h = oldest(choice.priority)!;
      this.held.splice(this.held.indexOf(h), 1);
      this.grant--;
      this.o.onMessage(h.msg);
    }
  }

  // Every consumer's request has ended and nothing is held: the slots not filled go back to the loop.
  private maybeReturn(): void {
    if (this.stopping) return;
    if (this.grant > 0 && this.held.length === 0 && !this.probes.length && this.pullers.every((p) => p.puller.outstanding === 0)) {
      const g = this.grant;
      this.grant = 0;
      this.o.onUnfilled(g);
    }
  }

  /** Hand every held job out now, slots or not (a drain: delivered jobs are run, not kept from other workers). */
  runHeld(): void {
    for (const h of this.held.splice(0)) this.o.onMessage(h.msg);
  }

  /**
   * A pause: deliveries stop at once (see Puller.hold) and every job fetched ahead and not started is
   * handed back with a nak, for another worker or for after the resume; `onHandBack` hears of each.
   * Resolves when the server has confirmed that nothing more comes. Slots asked for go back.
   */
  async hold(onHandBack: (m: JobMsg) => void): Promise<void> {
    this.probes = [];
    for (const h of this.held.splice(0)) {
      h.msg.nak();
      onHandBack(h.msg);
    }
    await Promise.all(this.pullers.map((p) => p.puller.hold(onHandBack)));
    const g = this.grant;
    this.grant = 0;
    if (g > 0) this.o.onUnfilled(g);
  }

  /** Take deliveries again after hold(). */
  async release(): Promise<void> {
    await Promise.all(this.pullers.map((p) => p.puller.release()));
  }

  /** Wait for the open requests to end; jobs still held are then run (not dropped, not nak'd: that would cost an attempt). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.pullers.map((p) => p.puller.stop()));
    clearInterval(this.ticker);
    const rest = this.held.splice(0);
    for (const h of rest) this.o.onMessage(h.msg);
    // Slots asked for and never filled go back, or the loop's drain waits for them forever (every
    // SIGTERM ended in the drain-timeout SIGKILL: maybeReturn() is off while stopping).
    const unfilled = Math.max(0, this.grant - rest.length);
    this.grant = 0;
    if (unfilled) this.o.onUnfilled(unfilled);
  }
}
