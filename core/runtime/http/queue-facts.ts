// Fleet-wide facts about the queues that every worker and manager can read from the same streams:
// age of the oldest job per handler, dead letters per handler, delayed jobs, schedules, which
// handlers are paused. /metrics, the history and the dashboard read them here.
import type { JetStreamManager } from "@nats-io/jetstream";
import { BUCKET_SCHEDULES, PRIORITIES, ALL_DELAYS, STREAM_DEAD, STREAM_TASKS, priorityConsumer, prioritySubject } from "../protocol/subjects.ts";
import { isNotFound } from "../nats/errors.ts";
import { ALL_DEAD, DEAD_PREFIX } from "../protocol/subjects.ts";

/** Seconds since the oldest job of `handler` still in the task queue was stored (0 when there is none). */
export async function oldestJobAge(jsm: JetStreamManager, handler: string, now = Date.now()): Promise<number> {
  let first: number;
  try {
    const si = await jsm.streams.info(STREAM_TASKS);
    if (!si.state.messages) return 0;
    first = si.state.first_seq;
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
  let oldest = 0;
  for (const p of PRIORITIES) {
    // STREAM.MSG.GET next_by_subj: the first message on the subject at or after `first`
    const m = await jsm.streams.getMessage(STREAM_TASKS, { seq: first, next_by_subj: prioritySubject(handler, p) } as unknown as { seq: number }).catch(() => null);
    if (m) oldest = Math.max(oldest, (now - m.time.getTime()) / 1000);
  }
  return Math.max(0, Math.round(oldest * 10) / 10);
}

/** Dead letters kept, per handler. */
export async function deadBacklog(jsm: JetStreamManager): Promise<Record<string, number>> {
  try {
    const si = await jsm.streams.info(STREAM_DEAD, { subjects_filter: ALL_DEAD });
    const out: Record<string, number> = {};
    for (const [s, n] of Object.entries(si.state.subjects ?? {})) out[s.slice(DEAD_PREFIX.length)] = n;
    return out;
  } catch (err) {
    if (isNotFound(err)) return {};
    throw err;
  }
}

/** Delayed jobs waiting for their time (@at schedules on docctl.delay.<id> in DOCCTL_TASKS). */
export async function delayedCount(jsm: JetStreamManager): Promise<number> {
  try {
    return Object.keys((await jsm.streams.info(STREAM_TASKS, { subjects_filter: ALL_DELAYS })).state.subjects ?? {}).length;
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
}

/** Schedules stored (keys of DOCCTL_SCHEDULES). */
export async function scheduleCount(jsm: JetStreamManager): Promise<number> {
  try {
    const si = await jsm.streams.info(`KV_${BUCKET_SCHEDULES}`, { subjects_filter: `$KV.${BUCKET_SCHEDULES}.>` });
    // deleted keys leave a marker message: count the subjects whose last message is a value
    return Object.keys(si.state.subjects ?? {}).length === 0 ? 0 : await liveKeys(jsm, `KV_${BUCKET_SCHEDULES}`, Object.keys(si.state.subjects ?? {}));
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
}

async function liveKeys(jsm: JetStreamManager, stream: string, subjects: string[]): Promise<number> {
  let n = 0;
  for (const s of subjects) {
    // the console's counts are best effort: a read that fails counts nothing for this subject (null alone is 'no message')
    const m = await jsm.streams.getMessage(stream, { last_by_subj: s }).catch(() => null);
    const op = m?.header?.get("KV-Operation");
    if (m && m.data.length && op !== "DEL" && op !== "PURGE") n++;
  }
  return n;
}

/** Whether deliveries of `handler` are paused (its normal-priority consumer is paused on the server). */
export async function handlerPaused(jsm: JetStreamManager, handler: string, now = Date.now()): Promise<{ paused: boolean; until?: number }> {
  try {
    const ci = await jsm.consumers.info(STREAM_TASKS, priorityConsumer(handler, "normal"));
    const until = ci.config.pause_until ? Date.parse(ci.config.pause_until) : undefined;
    const paused = Boolean((ci as unknown as { paused?: boolean }).paused) || (until !== undefined && until > now);
    return paused ? { paused, until } : { paused: false };
  } catch (err) {
    if (isNotFound(err)) return { paused: false };
    throw err;
  }
}
