// Reads the lag (jobs waiting + jobs in flight) of every handler's consumer on the tasks stream.
import type { JetStreamManager } from "@nats-io/jetstream";
import { STREAM_TASKS, consumerName, taskSubject } from "../runtime/protocol/subjects.ts";
import { isNotFound } from "../runtime/nats/topology.ts";

export const TASKS_STREAM = STREAM_TASKS;
const TASKS_SUBJECT_PREFIX = taskSubject("");
const CONSUMER_PREFIX = consumerName("");

/** Lag of one handler. */
export interface HandlerLag {
  handler: string;
  /** jobs not yet delivered */
  pending: number;
  /** jobs delivered and not yet acknowledged */
  inFlight: number;
  /** pending + inFlight */
  lag: number;
  /** jobs ever delivered by the consumer (its delivered consumer sequence); 0 without a consumer */
  delivered: number;
  /** where the number came from: the handler's consumer, or the stream when no consumer exists yet */
  source: "consumer" | "stream";
}

/** A lag reading over all handlers. */
export interface LagReading {
  total: number;
  /** sum of `delivered` over the consumers: when it moves between ticks, work happened in between */
  delivered: number;
  handlers: HandlerLag[];
  /** false when the tasks stream does not exist yet (lag is then 0) */
  streamExists: boolean;
}

/**
 * Lag per handler = consumer num_pending + num_ack_pending. A handler with jobs on
 * `docctl.tasks.<handler>` but no consumer yet (no worker has ever run for it) counts the
 * stream's unacknowledged messages on that subject instead: on a work-queue stream those are
 * exactly the jobs not done, and without this a fleet at zero would never wake up.
 */
export async function readLag(jsm: JetStreamManager, stream = TASKS_STREAM): Promise<LagReading> {
  let subjects: Record<string, number> = {};
  try {
    const si = await jsm.streams.info(stream, { subjects_filter: `${TASKS_SUBJECT_PREFIX}>` });
    subjects = si.state.subjects ?? {};
  } catch (err) {
    if (isNotFound(err)) return { total: 0, delivered: 0, handlers: [], streamExists: false };
    throw err;
  }
  const byHandler = new Map<string, HandlerLag>();
  for await (const ci of jsm.consumers.list(stream)) {
    if (!ci.name.startsWith(CONSUMER_PREFIX)) continue;
    const handler = ci.name.slice(CONSUMER_PREFIX.length);
    const pending = ci.num_pending ?? 0;
    const inFlight = ci.num_ack_pending ?? 0;
    const delivered = ci.delivered?.consumer_seq ?? 0;
    byHandler.set(handler, { handler, pending, inFlight, lag: pending + inFlight, delivered, source: "consumer" });
  }
  for (const [subject, count] of Object.entries(subjects)) {
    const handler = subject.slice(TASKS_SUBJECT_PREFIX.length);
    if (!handler || byHandler.has(handler)) continue;
    byHandler.set(handler, { handler, pending: count, inFlight: 0, lag: count, delivered: 0, source: "stream" });
  }
  const handlers = [...byHandler.values()].sort((a, b) => a.handler.localeCompare(b.handler));
  const sum = (f: (h: HandlerLag) => number) => handlers.reduce((a, h) => a + f(h), 0);
  return { total: sum((h) => h.lag), delivered: sum((h) => h.delivered), handlers, streamExists: true };
}
