// The last finished tick of each schedule, noted by the worker that stored its result: KV
// DOCCTL_SCHEDULES key `last.<name>` (`ScheduleRunV1`), read by `docctl schedule ls`.
import type { NatsConnection } from "@nats-io/transport-node";
import type { ScheduleRunV1 } from "../protocol/jobcontrol.ts";
import { schedulesBucket } from "./buckets.ts";

/** The key of schedule `name`'s last run. */
export const lastKey = (name: string) => `last.${name}`;

/** Note a finished tick of schedule `name` (a worker, with the job's result); best effort. */
export async function recordScheduleRun(nc: NatsConnection, name: string, run: Omit<ScheduleRunV1, "v">): Promise<void> {
  const kv = await schedulesBucket(nc);
  // best effort (see above): an unreadable last-run note is overwritten by this run
  const e = await kv.get(lastKey(name)).catch(() => null);
  if (e && e.operation === "PUT") {
    try {
      if ((JSON.parse(e.string()) as ScheduleRunV1).tick > run.tick) return; // a later tick is already there
    } catch {
      /* not JSON (a foreign or cut entry): replaced by this run */
    }
  }
  await kv.put(lastKey(name), JSON.stringify({ v: 1, ...run } satisfies ScheduleRunV1));
}
