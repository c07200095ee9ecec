// Job events across the fleet (BullMQ's QueueEvents, Celery events): every state change a worker writes
// to the job index is also a message on its subject, and progress reports are on docctl.progress.>, so
// following events is two plain subscriptions: no extra writes per job, and any NATS client can do it
// (docs/protocol.md, "Events").
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { decodeProgress } from "../protocol/codec.ts";
import { decodeJobEntry, jobEntryFilter, type IndexedState } from "../protocol/job-entry.ts";
import type { WireError } from "../protocol/errors.ts";
import { InputError } from "../protocol/errors.ts";
import { tokenProblem } from "../protocol/subjects.ts";
import { ALL_PROGRESS } from "../protocol/subjects.ts";

/** What events report; `completed` is a done job. */
export const EVENT_KINDS = ["completed", "failed", "retrying", "cancelled", "dead", "progress", "queued", "scheduled"] as const;
/** The kind of a job event: completed, failed, retrying, cancelled, dead, progress, queued or scheduled. */
export type EventKind = (typeof EVENT_KINDS)[number];

/** The kinds followed when none are asked for (queued and scheduled are every submit: asked for by name). */
export const DEFAULT_EVENT_KINDS: EventKind[] = ["completed", "failed", "retrying", "cancelled", "dead", "progress"];

/** One event. */
export interface JobEvent {
  kind: EventKind;
  id: string;
  batch: string;
  handler: string;
  /** ms since epoch */
  at: number;
  worker?: string;
  attempt?: number;
  max_attempts?: number;
  error?: WireError;
  /** retrying: when the next attempt is due */
  next_at?: number;
  /** scheduled: when it is due */
  run_at?: number;
  /** progress */
  fraction?: number;
  done?: number;
  total?: number;
  message?: string;
}

const kindOfState: Partial<Record<IndexedState, EventKind>> = { done: "completed", failed: "failed", retrying: "retrying", cancelled: "cancelled", dead: "dead", queued: "queued", scheduled: "scheduled" };
const stateOfKind = Object.fromEntries(Object.entries(kindOfState).map(([s, k]) => [k, s])) as Record<EventKind, IndexedState>;

export const eventDefaults = { /** events held for a reader that is behind, at most */ maxQueued: 100_000 };

/** A live feed of events; iterate it with `for await`, end it with stop() (or by breaking out). */
export interface EventFeed extends AsyncIterable<JobEvent> {
  stop(): void;
}

/** Follow events of every worker from now on, of one handler or all, of the given kinds (default: all but queued and scheduled). */
export function followEvents(nc: NatsConnection, o: { handler?: string; kinds?: EventKind[] } = {}): EventFeed {
  if (o.handler !== undefined) {
    const p = tokenProblem(o.handler);
    if (p) throw new InputError(`handler "${o.handler}" ${p}`);
  }
  const kinds = new Set(o.kinds?.length ? o.kinds : DEFAULT_EVENT_KINDS);
  for (const k of kinds) if (!EVENT_KINDS.includes(k)) throw new InputError(`event kind "${k}" is not one of ${EVENT_KINDS.join(", ")}`);
  const queue: JobEvent[] = [];
  let wake: (() => void) | undefined;
  let stopped = false;
  // a reader that stops reading must not grow this process without end: the oldest events go first
  const push = (e: JobEvent) => {
    if (queue.length >= eventDefaults.maxQueued) queue.shift();
    queue.push(e);
    wake?.();
  };
  const subs: Subscription[] = [];
  for (const k of kinds) {
    if (k === "progress") continue;
    subs.push(
      nc.subscribe(jobEntryFilter({ state: stateOfKind[k], handler: o.handler }), {
        callback: (_err, m) => {
          const e = decodeJobEntry(m.data, m.subject);
          if (!e) return;
          push({ kind: k, id: e.id, batch: e.batch, handler: e.handler, at: e.at, worker: e.worker, attempt: e.attempt, max_attempts: e.max_attempts, error: e.error, next_at: e.next_at, run_at: e.run_at });
        },
      }),
    );
  }
  if (kinds.has("progress")) {
    subs.push(
      nc.subscribe(ALL_PROGRESS, {
        callback: (_err, m) => {
          const p = decodeProgress(m.data);
          if (!p || (o.handler && p.handler !== o.handler)) return;
          push({ kind: "progress", id: p.id, batch: p.batch, handler: p.handler, at: p.at, worker: p.worker, fraction: p.fraction, done: p.done, total: p.total, message: p.message });
        },
      }),
    );
  }
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const s of subs) s.unsubscribe();
    wake?.();
  };
  void nc.closed().then(stop);
  return {
    stop,
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          while (queue.length) yield queue.shift()!;
          if (stopped) return;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      } finally {
        stop();
      }
    },
  };
}
