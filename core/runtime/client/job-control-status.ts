// What `docctl status` says about job control: delayed jobs waiting, schedules and limits in force.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { LimitV1, ScheduleV1 } from "../protocol/jobcontrol.ts";
import { BUCKET_LIMITS, BUCKET_SCHEDULES } from "../protocol/subjects.ts";
import { countDelayed } from "../nats/delays.ts";
import { pausedHandlers, type HandlerPause } from "./handler-pause.ts";
import { formatDuration } from "../util/duration.ts";
import { formatRate, listLimits } from "./limits.ts";
import { listSchedules } from "./schedules.ts";

export interface JobControlStatus {
  /** delayed jobs waiting in the server (`@at` schedules on docctl.delay.<id>) */
  delayed: number;
  schedules: (ScheduleV1 & { next_at?: number })[];
  limits: LimitV1[];
  /** handlers paused fleet-wide (docctl pause --handler) */
  paused: HandlerPause[];
}

/** Read it; each part that cannot be read (no stream or bucket yet) is empty. */
export async function jobControlStatus(nc: NatsConnection): Promise<JobControlStatus> {
  const jsm = await jetstreamManager(nc);
  const delayed = await countDelayed(nc);
  // read-only: a bucket nobody made yet is not made here
  const exists = (bucket: string) => jsm.streams.info(`KV_${bucket}`).then(() => true, () => false);
  const [schedules, limits] = await Promise.all([
    // status is a best-effort overview: a bucket that cannot be read is shown as empty
    exists(BUCKET_SCHEDULES).then((e) => (e ? listSchedules(nc) : [])).catch(() => []),
    exists(BUCKET_LIMITS).then((e) => (e ? listLimits(nc) : [])).catch(() => []), // likewise for the limits bucket
  ]);
  // status is a best-effort overview: no pause list when the consumers cannot be read
  const paused = await pausedHandlers(nc).catch(() => []);
  return { delayed, schedules, limits, paused };
}

/** Lines for people (none when there is nothing to say). */
export function renderJobControl(s: JobControlStatus, now: number): string[] {
  const out: string[] = [];
  for (const p of s.paused ?? []) out.push(`paused: handler ${p.handler}, fleet-wide${p.until ? ` until ${new Date(p.until).toISOString()}` : " (docctl resume --handler " + p.handler + ")"}`);
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
