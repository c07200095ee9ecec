// The one lag computation: jobs waiting plus jobs in flight, per handler. The scaler, `docctl status`,
// a worker's /metrics and the dashboard all read it here.
import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import { PRIORITIES, STREAM_TASKS, TASK_CONSUMER_PREFIXES, consumerName, priorityConsumer, taskSubject } from "../protocol/subjects.ts";
import { isNotFound } from "../nats/errors.ts";

const TASKS_SUBJECT_PREFIX = taskSubject("");

/** The handler whose jobs a tasks consumer reads (`docctl-<h>`, `docctl_high-<h>`, `docctl_low-<h>`), or undefined. */
export function handlerOfConsumer(name: string): string | undefined {
  for (const p of TASK_CONSUMER_PREFIXES) if (name.startsWith(p) && name.length > p.length) return name.slice(p.length);
  return undefined;
}

// A handler's lag sums its three priority consumers.
function add(a: HandlerLag | undefined, b: HandlerLag): HandlerLag {
  if (!a) return b;
  return { ...a, pending: a.pending + b.pending, ackPending: a.ackPending + b.ackPending, lag: a.lag + b.lag, delivered: a.delivered + b.delivered };
}

/** Lag of one handler. */
export interface HandlerLag {
  handler: string;
  /** jobs not yet delivered */
  pending: number;
  /** jobs delivered to some worker and not yet acknowledged (in flight) */
  ackPending: number;
  /** pending + ackPending: what the scaler reads */
  lag: number;
  /** jobs ever delivered by the consumer (its delivered consumer sequence); 0 without a consumer */
  delivered: number;
  /** where the number came from: the handler's consumer, or the stream when no consumer exists yet */
  source: "consumer" | "stream";
}

/** A lag reading over all handlers. */
export interface LagReading {
  total: number;
  /** sum of `delivered` over the consumers: when it moves between readings, work happened in between */
  delivered: number;
  handlers: HandlerLag[];
  /** false when the tasks stream does not exist yet (lag is then 0) */
  streamExists: boolean;
}

/** The fields of a consumer's info the lag is computed from. */
export type ConsumerCounts = Pick<ConsumerInfo, "num_pending" | "num_ack_pending"> & { delivered?: { consumer_seq?: number } };

/** The lag of `handler` from its consumer's info (pure). */
export function consumerLag(handler: string, ci: ConsumerCounts): HandlerLag {
  const pending = ci.num_pending ?? 0;
  const ackPending = ci.num_ack_pending ?? 0;
  return { handler, pending, ackPending, lag: pending + ackPending, delivered: ci.delivered?.consumer_seq ?? 0, source: "consumer" };
}

/**
 * The reading from consumer infos and the stream's per-subject counts (pure). A handler with jobs on
 * `docctl.tasks.<handler>` but no consumer yet (no worker has ever run for it) counts the stream's
 * messages on that subject instead: on a work-queue stream those are exactly the jobs not done, and
 * without this a fleet at zero would never wake up.
 */
export function lagReading(consumers: (ConsumerCounts & { name: string })[], subjects: Record<string, number>): LagReading {
  const byHandler = new Map<string, HandlerLag>();
  for (const ci of consumers) {
    const handler = handlerOfConsumer(ci.name);
    if (!handler) continue;
    byHandler.set(handler, add(byHandler.get(handler), consumerLag(handler, ci)));
  }
  const fromStream = new Map<string, HandlerLag>();
  for (const [subject, count] of Object.entries(subjects)) {
    // docctl.tasks.<handler> and docctl.tasks.<handler>.high|low
    const handler = subject.slice(TASKS_SUBJECT_PREFIX.length).split(".")[0];
    if (!subject.startsWith(TASKS_SUBJECT_PREFIX) || !handler || byHandler.has(handler)) continue;
    fromStream.set(handler, add(fromStream.get(handler), { handler, pending: count, ackPending: 0, lag: count, delivered: 0, source: "stream" }));
  }
  for (const [h, l] of fromStream) byHandler.set(h, l);
  const handlers = [...byHandler.values()].sort((a, b) => a.handler.localeCompare(b.handler));
  const sum = (f: (h: HandlerLag) => number) => handlers.reduce((a, h) => a + f(h), 0);
  return { total: sum((h) => h.lag), delivered: sum((h) => h.delivered), handlers, streamExists: true };
}

/** Read the lag of every handler on the tasks stream. */
export async function readLag(jsm: JetStreamManager, stream = STREAM_TASKS): Promise<LagReading> {
  let subjects: Record<string, number>;
  const consumers: ConsumerInfo[] = [];
  try {
    const si = await jsm.streams.info(stream, { subjects_filter: `${TASKS_SUBJECT_PREFIX}>` });
    subjects = si.state.subjects ?? {};
    for await (const ci of jsm.consumers.list(stream)) consumers.push(ci);
  } catch (err) {
    if (isNotFound(err)) return { total: 0, delivered: 0, handlers: [], streamExists: false };
    throw err;
  }
  return lagReading(consumers, subjects);
}

/** Read the lag of the given handlers only (one consumer info each); a handler without a consumer is left out. */
export async function readHandlerLags(jsm: JetStreamManager, handlers: string[], stream = STREAM_TASKS): Promise<HandlerLag[]> {
  const out = await Promise.all(
    handlers.map(async (h) => {
      let sum: HandlerLag | undefined;
      for (const p of PRIORITIES) {
        try {
          sum = add(sum, consumerLag(h, await jsm.consumers.info(stream, priorityConsumer(h, p))));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return sum;
    }),
  );
  return out.filter((l): l is HandlerLag => l !== undefined);
}
