// The dashboard's history, kept in NATS (stream DOCCTL_HISTORY) so a page opened after an incident
// still shows it: one sample per handler per interval (a minute by default), written by every worker
// proc and manager that runs, bounded by age. Two kinds of sample:
//  - queue (`docctl.history.q.<handler>`): lag, waiting, in flight, oldest job's age, deliveries so far.
//    Every writer reads the same consumer, so one sample per interval and handler is kept: the
//    Nats-Msg-Id `q.<t>.<handler>` makes the later writers' copies no-ops (the duplicate window).
//  - work (`docctl.history.w.<handler>`): what one proc finished in the interval (done, failed by code,
//    queue wait). Each writer has its own Nats-Msg-Id `w.<t>.<handler>.<writer>`; readers add them up.
import { DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { nanos } from "@nats-io/transport-node";
import { isAlreadyExists, isNotFound } from "../nats/errors.ts";
import { readHandlerLags } from "../client/lag.ts";
import { oldestJobAge } from "./queue-facts.ts";
import { ALL_HISTORY, STREAM_HISTORY, historySubject } from "../protocol/subjects.ts";

export { STREAM_HISTORY, historySubject };

/** How history is kept. */
export interface HistoryOptions {
  /** one sample per handler per this interval, ms (DOCCTL_HISTORY_INTERVAL, e.g. `2s`, shortens it for tests and demos) */
  intervalMs: number;
  /** samples older than this are dropped by the server, ms (at least 24 h) */
  maxAgeMs: number;
  /** the stream's size cap, bytes (oldest dropped first) */
  maxBytes: number;
}

export const historyDefaults: HistoryOptions = { intervalMs: 60_000, maxAgeMs: 48 * 3_600_000, maxBytes: 256 * 1024 * 1024 };

/** A queue sample (fleet-wide, one per interval and handler). */
export interface QueueSampleV1 {
  v: 1;
  /** start of the interval, ms since epoch */
  t: number;
  handler: string;
  lag: number;
  pending: number;
  ack_pending: number;
  /** seconds since the oldest job of the handler still in the queue was submitted (0: none) */
  oldest_age_s: number;
  /** deliveries ever made by the handler's consumers (a counter: its rise is the fleet's throughput) */
  delivered: number;
}

/** A work sample (one proc's jobs finished in one interval). */
export interface WorkSampleV1 {
  v: 1;
  t: number;
  handler: string;
  writer: string;
  done: number;
  failed: number;
  /** failures (for good) by error code */
  codes: Record<string, number>;
  /** sum and count of queue waits of first attempts (submit or run_at to start), ms */
  wait_ms: number;
  waits: number;
}

/** What a proc counted since the last sample, per handler. */
export interface WorkTally {
  done: number;
  failed: number;
  codes: Record<string, number>;
  wait_ms: number;
  waits: number;
}

/** One point of a handler's series, as the page draws it. */
export interface HistoryPoint {
  t: number;
  lag?: number;
  oldest_age_s?: number;
  /** jobs finished in the interval (done + failed), from work samples; deliveries where none was written */
  throughput?: number;
  failed?: number;
  /** mean queue wait in the interval, seconds */
  wait_s?: number;
}

/** The stream's config (pure). */
export function historyStreamConfig(o: HistoryOptions = historyDefaults) {
  return {
    name: STREAM_HISTORY,
    subjects: [ALL_HISTORY],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(Math.max(o.maxAgeMs, 24 * 3_600_000)),
    max_bytes: o.maxBytes,
    duplicate_window: nanos(Math.min(10 * 60_000, Math.max(2 * o.intervalMs, 120_000))),
  };
}

/** Create DOCCTL_HISTORY when it does not exist (an existing one is left as it is). */
export async function ensureHistoryStream(jsm: JetStreamManager, o: HistoryOptions = historyDefaults): Promise<void> {
  try {
    await jsm.streams.info(STREAM_HISTORY);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.streams.add(historyStreamConfig(o));
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
}

/** The interval from DOCCTL_HISTORY_INTERVAL (`2s`, `500ms`, `1m`, or ms), else the default; at least 1 s. */
export function historyInterval(env: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec((env ?? "").trim());
  if (!m) return historyDefaults.intervalMs;
  const n = Number(m[1]) * (m[2] === "m" ? 60_000 : m[2] === "s" ? 1000 : 1);
  return Math.max(1000, Math.round(n));
}

/** Merge samples into a series per handler, oldest first (pure). Work samples of one interval add up. */
export function mergeSamples(q: QueueSampleV1[], w: WorkSampleV1[]): Record<string, HistoryPoint[]> {
  const by = new Map<string, Map<number, HistoryPoint & { _delivered?: number; _waits?: number; _wait_ms?: number; _work?: boolean }>>();
  const point = (h: string, t: number) => {
    let m = by.get(h);
    if (!m) by.set(h, (m = new Map()));
    let p = m.get(t);
    if (!p) m.set(t, (p = { t }));
    return p;
  };
  for (const s of q) {
    const p = point(s.handler, s.t);
    p.lag = s.lag;
    p.oldest_age_s = s.oldest_age_s;
    p._delivered = s.delivered;
  }
  for (const s of w) {
    const p = point(s.handler, s.t);
    p._work = true;
    p.throughput = (p.throughput ?? 0) + s.done + s.failed;
    p.failed = (p.failed ?? 0) + s.failed;
    p._waits = (p._waits ?? 0) + s.waits;
    p._wait_ms = (p._wait_ms ?? 0) + s.wait_ms;
  }
  const out: Record<string, HistoryPoint[]> = {};
  for (const [h, m] of by) {
    const pts = [...m.values()].sort((a, b) => a.t - b.t);
    let prev: number | undefined;
    out[h] = pts.map((p) => {
      const o: HistoryPoint = { t: p.t };
      if (p.lag !== undefined) o.lag = p.lag;
      if (p.oldest_age_s !== undefined) o.oldest_age_s = p.oldest_age_s;
      if (p._work) {
        o.throughput = p.throughput;
        o.failed = p.failed;
        if (p._waits) o.wait_s = Math.round(p._wait_ms! / p._waits / 10) / 100;
      } else if (p._delivered !== undefined && prev !== undefined && p._delivered >= prev) {
        // no proc wrote its counts (workers without history, or another version): deliveries instead
        o.throughput = p._delivered - prev;
      }
      if (p._delivered !== undefined) prev = p._delivered;
      return o;
    });
  }
  return out;
}

/**
 * Reads the history stream incrementally: the first call reads the last `rangeMs`, later ones only
 * what was written since, so a polling page costs little.
 */
export class HistoryReader {
  #q: QueueSampleV1[] = [];
  #w: WorkSampleV1[] = [];
  #lastSeq = 0;
  #busy: Promise<void> | undefined;
  /** the last merge, reused while no sample came or went (a poll then costs one stream info) */
  #merged: { key: string; series: Record<string, HistoryPoint[]> } | undefined;

  constructor(private readonly nc: () => NatsConnection | undefined, private readonly rangeMs = 24 * 3_600_000) {}

  /** The series per handler for the last `rangeMs`. */
  async read(now = Date.now()): Promise<Record<string, HistoryPoint[]>> {
    this.#busy ??= this.#pull(now).finally(() => (this.#busy = undefined));
    await this.#busy;
    const from = now - this.rangeMs;
    if (this.#q[0] && this.#q[0].t < from) this.#q = this.#q.filter((s) => s.t >= from);
    if (this.#w[0] && this.#w[0].t < from) this.#w = this.#w.filter((s) => s.t >= from);
    const key = `${this.#lastSeq}:${this.#q.length}:${this.#w.length}`;
    if (this.#merged?.key !== key) this.#merged = { key, series: mergeSamples(this.#q, this.#w) };
    return this.#merged.series;
  }

  async #pull(now: number): Promise<void> {
    const nc = this.nc();
    if (!nc) return;
    const jsm = await jetstreamManager(nc);
    let last: number;
    try {
      last = (await jsm.streams.info(STREAM_HISTORY)).state.last_seq;
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (last <= this.#lastSeq) return;
    const opts = this.#lastSeq
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.#lastSeq + 1 }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(now - this.rangeMs).toISOString() };
    const consumer = await jetstream(nc).consumers.get(STREAM_HISTORY, { filter_subjects: ALL_HISTORY, ...opts });
    try {
      let pending = (await consumer.info(true)).num_pending;
      while (pending > 0) {
        const batch = await consumer.fetch({ max_messages: Math.min(pending, 5000), expires: 2000 });
        let got = 0;
        for await (const m of batch) {
          got++;
          pending = m.info.pending;
          this.#lastSeq = Math.max(this.#lastSeq, m.seq);
          try {
            const s = JSON.parse(new TextDecoder().decode(m.data));
            if (s?.v !== 1 || typeof s.handler !== "string" || typeof s.t !== "number") continue;
            if (m.subject.startsWith(historySubject("q", ""))) this.#q.push(s as QueueSampleV1);
            else if (m.subject.startsWith(historySubject("w", ""))) this.#w.push(s as WorkSampleV1);
          } catch {
            /* not a sample of ours */
          }
          if (pending === 0) break;
        }
        if (!got) break;
      }
    } finally {
      // an ephemeral reader: if the delete fails the server drops it after its inactivity threshold
      await consumer.delete().catch(() => {});
    }
  }
}

/** Where a writer gets what it writes. */
export interface HistoryWriterOptions {
  nc: NatsConnection;
  /** the handlers to sample (read at each tick) */
  handlers: () => string[] | Promise<string[]>;
  /** this writer's name in work samples' ids (`<worker>.<pid>`) */
  writer: string;
  /** what this proc finished since the last call (absent: a supervisor or a manager, queue samples only) */
  take?: () => Map<string, WorkTally>;
  options?: Partial<HistoryOptions>;
  /** a write that failed (NATS away): logged once per outage by the caller */
  onError?: (err: unknown) => void;
}

/** Writes samples at the end of each interval until stopped. */
export class HistoryWriter {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  readonly o: HistoryOptions;

  constructor(private readonly w: HistoryWriterOptions) {
    this.o = { ...historyDefaults, ...w.options };
  }

  start(): void {
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    const iv = this.o.intervalMs;
    // just after the interval's end, spread a little so writers do not all ask at the same instant
    const wait = iv - (Date.now() % iv) + 50 + Math.floor(Math.random() * Math.min(1000, iv / 10));
    this.#timer = setTimeout(() => {
      void this.tick(Math.floor(Date.now() / iv) * iv - iv).catch((err) => this.w.onError?.(err)).finally(() => this.#schedule());
    }, wait);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Write the samples of the interval starting at `t`. */
  async tick(t: number): Promise<void> {
    const nc = this.w.nc;
    if (nc.isClosed()) return;
    const jsm = await jetstreamManager(nc);
    await ensureHistoryStream(jsm, this.o);
    const js = jetstream(nc);
    const handlers = await this.w.handlers();
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    const lags = await readHandlerLags(jsm, handlers);
    for (const l of lags) {
      // the oldest job's age is best effort in a sample: 0 when it cannot be read now
      const s: QueueSampleV1 = { v: 1, t, handler: l.handler, lag: l.lag, pending: l.pending, ack_pending: l.ackPending, oldest_age_s: await oldestJobAge(jsm, l.handler).catch(() => 0), delivered: l.delivered };
      await js.publish(historySubject("q", l.handler), enc(s), { msgID: `q.${t}.${l.handler}` });
    }
    for (const [handler, c] of this.w.take?.() ?? []) {
      const s: WorkSampleV1 = { v: 1, t, handler, writer: this.w.writer, ...c };
      await js.publish(historySubject("w", handler), enc(s), { msgID: `w.${t}.${handler}.${this.w.writer}` });
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}

/**
 * Start the history writer of a worker proc (or a one-process worker): queue samples of its handlers
 * and its own work counts. Returns its stop function.
 */
export function startProcHistory(o: { nc: NatsConnection; handlers: string[]; workerId: string; metrics?: { takeWork(): Map<string, WorkTally> }; onError?: (err: unknown) => void }): () => void {
  const w = new HistoryWriter({
    nc: o.nc,
    handlers: () => o.handlers,
    writer: `${o.workerId}.${process.pid}`,
    take: o.metrics ? () => o.metrics!.takeWork() : undefined,
    options: { intervalMs: historyInterval(process.env.DOCCTL_HISTORY_INTERVAL) },
    onError: o.onError,
  });
  w.start();
  return () => w.stop();
}
