// A worker's part in server-side schedules (protocol/ticks.ts): a job the server produced from a
// schedule gets its tick put into its ids when it is taken, and its result is noted as the schedule's
// last run (`schedule ls`). Delayed jobs (`docctl.delay.<id>`) keep their ids.
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import type { JobV1 } from "../protocol/codec.ts";
import { SCHEDULER_HEADER, jobForTick, scheduleNameOf, tickBase, tickOf } from "../protocol/ticks.ts";
import { recordScheduleRun } from "../nats/schedule-runs.ts";
import type { Logger } from "../protocol/logger.ts";

/** The batch of every job a schedule fires: `sched-<name>` (client/schedules.ts). */
const TICK_PREFIX = tickBase("");

export class ScheduleRuns {
  private ticks = new WeakMap<JobV1, { name: string; tick: number }>();

  constructor(private nc: NatsConnection, private log: Logger) {}

  /**
   * The job as it runs: a schedule's tick with the tick in its ids, any other job as it is. Only a job in
   * a schedule's batch can be a tick, so no other job's headers are decoded (nats.js decodes them on
   * first access, and every task of an atomic batch carries four: a few per cent of a worker's CPU per job).
   */
  taken(job: JobV1, headers: () => MsgHdrs | undefined, storedAtMs: number): JobV1 {
    if (!job.batch.startsWith(TICK_PREFIX)) return job;
    const name = scheduleNameOf(headers()?.get(SCHEDULER_HEADER));
    if (!name) return job;
    const tick = tickOf(storedAtMs);
    const out = jobForTick(job, name, tick);
    if (!out.submitted_at) out.submitted_at = tick;
    this.ticks.set(out, { name, tick });
    return out;
  }

  /** Its result is stored: note the schedule's last run (best effort, never fails the job). */
  finished(job: JobV1, ok: boolean, code?: string): void {
    const t = this.ticks.get(job);
    if (!t) return;
    void recordScheduleRun(this.nc, t.name, { tick: t.tick, id: job.id, ok, code, finished_at: Date.now() }).catch((err) =>
      this.log.debug(`schedule ${t.name}: last run not noted: ${(err as Error).message}`),
    );
  }
}
