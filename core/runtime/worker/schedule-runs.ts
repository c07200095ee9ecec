// A worker's part in server-side schedules (protocol/ticks.ts): a job the server produced from a
// schedule gets its tick put into its ids when it is taken, and its result is noted as the schedule's
// last run (`schedule ls`). Delayed jobs (`docctl.delay.<id>`) keep their ids.
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import type { JobV1 } from "../protocol/codec.ts";
import { SCHEDULER_HEADER, jobForTick, scheduleNameOf, tickBase, tickOf } from "../protocol/ticks.ts";

const TICK_PREFIX = tickBase("");
import { recordScheduleRun } from "../nats/schedule-runs.ts";
import type { Logger } from "../protocol/logger.ts";

export class ScheduleRuns {
  private ticks = new WeakMap<JobV1, { name: string; tick: number }>();

  constructor(private nc: NatsConnection, private log: Logger) {}

  /**
   * The job as it runs: a schedule's tick with the tick in its ids, any other job as it is. A schedule's
   * jobs all have the batch `sched-<name>` (client/schedules.ts), so any other job's headers are not
   * decoded: nats.js decodes a message's headers on first access, and the task messages of an atomic
   * batch carry four, which cost a worker more per job than any docctl function.
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
