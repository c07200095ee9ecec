// One handler's pulling: claims free slots, asks its priority consumers for that many jobs, and hands
// each delivered job to the loop with the slot it holds.
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAM_TASKS } from "../protocol/subjects.ts";
import type { JobMsg } from "../nats/job-msg.ts";
import type { Logger } from "../util/log.ts";
import { PriorityPuller } from "./priority-puller.ts";
import type { Slots } from "./slots.ts";
import type { LoopStats } from "./loop-options.ts";

/** Jobs this loop may still take (--max-jobs): counted as they arrive; at 0 its pullers ask for no more. */
export class JobBudget {
  private left: number;
  private waiters: (() => void)[] = [];

  constructor(maxJobs?: number) {
    this.left = maxJobs ? maxJobs : Infinity;
  }

  get remaining(): number {
    return this.left;
  }

  take(): void {
    this.left--;
  }

  /** Resolves at wakeAll() (the loop drains): nothing else gives a budget back. */
  exhausted(): Promise<void> {
    return new Promise<void>((r) => this.waiters.push(r));
  }

  wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export interface HandlerPullerOptions {
  nc: NatsConnection;
  handler: string;
  slots: Slots;
  concurrency: number;
  /** how long one pull request waits for jobs, ms */
  expiresMs: number;
  /** the idle heartbeat of pull requests, ms */
  heartbeatMs: number;
  budget: JobBudget;
  log: Logger;
  state(): LoopStats["state"];
  /** resolves when a paused loop is resumed (or drains) */
  resumed(): Promise<void>;
  /** how many jobs to fetch ahead at the next pull */
  lookahead(): number;
  /** runs one delivered job; `freeSlot` gives its slot back (at most once) */
  run(msg: JobMsg, freeSlot: () => void): Promise<void>;
}

export class HandlerPuller {
  private puller: PriorityPuller;

  constructor(private o: HandlerPullerOptions) {
    // high, normal and low each have a consumer; a free slot takes high before normal before low
    this.puller = new PriorityPuller(o.nc, {
      stream: STREAM_TASKS,
      handler: o.handler,
      expiresMs: o.expiresMs,
      heartbeatMs: o.heartbeatMs,
      onMessage: (msg) => {
        o.budget.take();
        let held = true;
        const free = () => {
          if (held) o.slots.release(1);
          held = false;
        };
        void o.run(msg, free).finally(free);
      },
      onUnfilled: (n) => o.slots.release(n),
    });
  }

  /** Jobs already delivered and waiting for a slot here are run (a draining loop still runs what it was given). */
  runHeld(): void {
    this.puller.runHeld();
  }

  /** A pause: deliveries stop at once and jobs fetched ahead go back to the queue (PriorityPuller.hold). */
  hold(): Promise<void> {
    return this.puller.hold((m) => this.o.log.debug(`paused: handed back a ${this.o.handler} job fetched ahead (stream seq ${m.info.streamSequence})`));
  }

  /** Take deliveries again after hold(). */
  release(): Promise<void> {
    return this.puller.release();
  }

  /** Pulls while the loop runs (waits while it is paused); returns once its pull requests have ended. */
  async run(): Promise<void> {
    const { slots, budget } = this.o;
    while (this.o.state() === "running" || this.o.state() === "paused") {
      if (this.o.state() === "paused") {
        await this.o.resumed();
        continue;
      }
      // Pull again once a quarter of the slots are free: with many short jobs this keeps pull
      // requests few; with few long ones (concurrency <= 4) it is every free slot.
      const claimed = await slots.claimAll(Math.floor(this.o.concurrency / 4));
      if (claimed === 0) break; // closed
      // --max-jobs: once that many jobs have arrived, ask for no more (the proc is about to be
      // recycled); a request already out may still bring one, which is run, not dropped.
      const n = Math.min(claimed, budget.remaining);
      if (this.o.state() !== "running" || n <= 0) {
        slots.release(claimed);
        if (this.o.state() === "running") await budget.exhausted();
        continue;
      }
      slots.release(claimed - n);
      this.puller.ahead = this.o.lookahead();
      // Several pulls may be outstanding: a new one goes out as soon as slots free up, so a slow pull
      // never holds back jobs, and a proc never asks for more jobs than it can start right away.
      this.puller.pull(n);
      this.o.log.debug(`pull: asked for ${n} ${this.o.handler} job(s)`);
    }
    await this.puller.stop();
  }
}
