// What `docctl status` says about job control: delayed jobs waiting, schedules and limits in force.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { LimitV1, ScheduleV1 } from "../protocol/jobcontrol.ts";
import { BUCKET_LIMITS, BUCKET_SCHEDULES, STREAM_DELAYED } from "../protocol/subjects.ts";
import { isNotFound } from "../nats/errors.ts";
import { formatDuration } from "../util/duration.ts";
import { formatRate, listLimits } from "./limits.ts";
import { listSchedules } from "./schedules.ts";

export interface JobControlStatus {
  /** delayed jobs waiting in DOCCTL_DELAYED */
  delayed: number;
  schedules: (ScheduleV1 & { next_at?: number })[];
  limits: LimitV1[];
}

/** Read it; each part that cannot be read (no stream or bucket yet) is empty. */
export async function jobControlStatus(nc: NatsConnection): Promise<JobControlStatus> {
  const jsm = await jetstreamManager(nc);
  const delayed = await jsm.streams
    .info(STREAM_DELAYED)
    .then((si) => si.state.messages)
    .catch((err) => {
      if (isNotFound(err)) return 0;
      throw err;
    });
  // read-only: a bucket nobody made yet is not made here
  const exists = (bucket: string) => jsm.streams.info(`KV_${bucket}`).then(() => true, () => false);
  const [schedules, limits] = await Promise.all([
    exists(BUCKET_SCHEDULES).then((e) => (e ? listSchedules(nc) : [])).catch(() => []),
    exists(BUCKET_LIMITS).then((e) => (e ? listLimits(nc) : [])).catch(() => []),
  ]);
  return { delayed, schedules, limits };
}

/** Lines for people (none when there is nothing to say). */
export function renderJobControl(s: JobControlStatus, now: number): string[] {
  const out: string[] = [];
  if (s.delayed) out.push(`delayed: ${s.delayed} job(s) waiting for their time (docctl jobs --state scheduled)`);
  for (const sc of s.schedules) {
    const when = sc.cron ? `cron "${sc.cron}"${sc.tz ? ` ${sc.tz}` : ""}` : `every ${formatDuration(sc.every_ms ?? 0)}`;
    out.push(`schedule ${sc.name}: ${when}, next ${sc.next_at ? `in ${formatDuration(Math.max(0, sc.next_at - now))}` : "never"}`);
  }
  for (const l of s.limits) {
    out.push(`limit ${l.handler}: ${[l.concurrency ? `concurrency ${l.concurrency}` : "", l.rate ? `rate ${formatRate(l.rate)}` : ""].filter(Boolean).join(", ")}`);
  }
  return out;
}
