// Fires schedules (KV DOCCTL_SCHEDULES, watched) from every manager: each tick's jobs get ids derived
// from the schedule and the tick, so however many managers fire a tick, the duplicate window keeps one.
import type { NatsConnection } from "@nats-io/transport-node";
import type { ScheduleV1 } from "../runtime/protocol/jobcontrol.ts";
import { schedulesBucket } from "../runtime/nats/buckets.ts";
import { parseJobFile } from "../runtime/client/jobfile.ts";
import { startBatch } from "../runtime/client/submit.ts";
import { jobFileForTick, tickDecision, tickId } from "../runtime/client/schedule-ticks.ts";
import { formatDuration } from "../runtime/util/duration.ts";
import type { ScalerLogger } from "./providers/types.ts";

export interface SchedulerOptions {
  /** how often schedules are checked, ms: a tick fires at most this late */
  checkMs: number;
  /**
   * a tick missed while no manager ran is still fired when a manager comes back within this long
   * (the latest one only); kept under the 15-minute duplicate window so a re-fire is still a duplicate
   */
  catchUpMs: number;
}

export const schedulerDefaults: SchedulerOptions = { checkMs: 250, catchUpMs: 14 * 60_000 };

export class Scheduler {
  private schedules = new Map<string, ScheduleV1>();
  private lastFired = new Map<string, number>();
  private watch?: { stop(): void };
  private loop?: Promise<void>;
  private timer?: ReturnType<typeof setInterval>;
  private checking = false;
  private o: SchedulerOptions;

  constructor(private nc: NatsConnection, private log: ScalerLogger, opts: Partial<SchedulerOptions> = {}) {
    this.o = { ...schedulerDefaults, ...opts };
  }

  async start(): Promise<void> {
    const kv = await schedulesBucket(this.nc);
    const it = await kv.watch();
    this.watch = it;
    this.loop = (async () => {
      for await (const e of it) {
        if (e.operation !== "PUT") {
          this.schedules.delete(e.key);
          continue;
        }
        try {
          this.schedules.set(e.key, JSON.parse(e.string()) as ScheduleV1);
        } catch {
          this.log.error(`schedule "${e.key}" is not JSON: ignored`);
        }
      }
    })().catch(() => {});
    this.timer = setInterval(() => void this.check(), this.o.checkMs);
  }

  /** One round: fire every schedule whose latest tick this manager has not fired. Exposed for tests. */
  async check(now = Date.now()): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const s of this.schedules.values()) {
        const d = tickDecision(s, now, this.lastFired.get(s.name), this.o.catchUpMs);
        if (d.tooOld !== undefined) {
          this.lastFired.set(s.name, d.tooOld);
          this.log.warn(`schedule ${s.name}: its tick of ${new Date(d.tooOld).toISOString()} was missed (no manager ran) and is older than ${formatDuration(this.o.catchUpMs)}: skipped`);
        }
        if (d.fire === undefined) continue;
        this.lastFired.set(s.name, d.fire);
        await this.fire(s, d.fire).catch((err) => this.log.error(`schedule ${s.name}: firing the tick of ${new Date(d.fire!).toISOString()} failed: ${(err as Error).message}`));
      }
    } finally {
      this.checking = false;
    }
  }

  private async fire(s: ScheduleV1, tick: number): Promise<void> {
    const base = tickId(s.name, tick);
    const plan = parseJobFile(jobFileForTick(s.job, base), `schedule ${s.name}`);
    // create: the handlers were checked when the schedule was added; a fleet at zero must still get the job
    const run = await startBatch(this.nc, plan, { wait: false, create: true });
    for await (const _ of run) {
      /* fire and forget: the iteration ends once every job is published */
    }
    const sum = run.summary();
    if (sum.duplicates === sum.submitted) this.log.debug(`schedule ${s.name}: tick ${base} was already fired (by another manager)`);
    else this.log.info(`schedule ${s.name}: fired ${base} (${sum.submitted} job${sum.submitted === 1 ? "" : "s"})`);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.watch?.stop();
    await this.loop;
    while (this.checking) await new Promise((r) => setTimeout(r, 20));
  }
}
