// JetStream publishes with their PubAcks read on one long-lived inbox, for the hot paths (submitting
// jobs, storing results). nats.js's js.publish() is a request per message: a subscription entry, a
// timer, a deferred and two pre-built error objects (for their stack traces) each time; profiles of
// `docctl submit` and the worker showed that as the largest share of their CPU per job.
import { MsgHdrsImpl, createInbox, errors, nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { JetStreamApiError, type PubAck } from "@nats-io/jetstream";

interface Waiting {
  resolve(a: PubAck): void;
  reject(e: Error): void;
  deadline: number;
}

export interface PublisherOptions {
  /** a publish without a PubAck after this long fails with a TimeoutError, ms (nats.js's default) */
  timeoutMs?: number;
}

export const publisherDefaults = { timeoutMs: 5_000, sweepMs: 250 };

/** The most messages nats-server takes in one atomic batch (its default limit; a bigger batch is refused whole). */
export const ATOMIC_BATCH_MAX = 1000;

/** JetStream API error of an atomic batch with a duplicate Nats-Msg-Id in it (the whole batch is refused). */
export const ATOMIC_DUPLICATE = 10201;

function batchHeaders(batchId: string, seq: number, commit: boolean, m: { msgID?: string; headers?: Record<string, string> }) {
  const h: Record<string, string> = { "Nats-Batch-Id": batchId, "Nats-Batch-Sequence": String(seq) };
  if (commit) h["Nats-Batch-Commit"] = "1";
  if (m.msgID) h["Nats-Msg-Id"] = m.msgID;
  return headersOf(Object.assign(h, m.headers));
}

const LINE_BREAK = /[\r\n]/;

/**
 * Headers from a record of distinct keys. nats.js's headers().set() looks each key up twice and
 * re-cases it letter by letter: with 3-4 headers per job that was a seventh of `docctl submit`'s CPU.
 * The keys here are our own constants; a value with a line break would end the header block, so none
 * is let through.
 */
export function headersOf(r: Record<string, string>): MsgHdrs {
  const rec: Record<string, string[]> = {};
  for (const k in r) {
    const v = r[k]!;
    if (LINE_BREAK.test(v)) throw new Error(`header ${k}: a value cannot contain a line break`);
    rec[k] = [v];
  }
  return MsgHdrsImpl.fromRecord(rec);
}

/** Publishes to JetStream and resolves with the PubAck; errors are the nats.js classes (TimeoutError, NoRespondersError, JetStreamApiError). */
export class JetStreamPublisher {
  private prefix: string;
  private sub: Subscription;
  private waiting = new Map<number, Waiting>();
  private next = 0;
  private sweeper?: ReturnType<typeof setInterval>;
  private timeoutMs: number;
  private dec = new TextDecoder();

  constructor(private nc: NatsConnection, opts: PublisherOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? publisherDefaults.timeoutMs;
    this.prefix = createInbox();
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (_err, msg) => this.receive(msg) });
    void nc.closed().then(() => this.failAll(new errors.ClosedConnectionError()));
  }

  /**
   * Publish `data` on `subject` (deduplicated by `msgID` when given, with `headers`); resolves once JetStream stored it.
   * `firstOnSubject`: only if the subject holds no message yet (a final result: JetStreamApiError 10071 otherwise).
   */
  publish(subject: string, data: Uint8Array, opts: { msgID?: string; firstOnSubject?: boolean; headers?: Record<string, string> } = {}): Promise<PubAck> {
    if (this.nc.isClosed()) return Promise.reject(new errors.ClosedConnectionError());
    const id = ++this.next;
    const p = new Promise<PubAck>((resolve, reject) => this.waiting.set(id, { resolve, reject, deadline: Date.now() + this.timeoutMs }));
    try {
      let h: MsgHdrs | undefined;
      if (opts.msgID || opts.firstOnSubject || opts.headers) {
        const r: Record<string, string> = {};
        if (opts.msgID) r["Nats-Msg-Id"] = opts.msgID;
        if (opts.firstOnSubject) r["Nats-Expected-Last-Subject-Sequence"] = "0";
        h = headersOf(Object.assign(r, opts.headers));
      }
      this.nc.publish(subject, data, { reply: `${this.prefix}.${id}`, headers: h });
    } catch (err) {
      this.waiting.delete(id);
      return Promise.reject(err);
    }
    // One timer for every publish in flight: it starts with the first and stops at a sweep with none left.
    this.sweeper ??= setInterval(() => this.sweep(), publisherDefaults.sweepMs);
    return p;
  }

  /**
   * Publish `msgs` as one atomic batch (nats-server 2.12+, stream with allow_atomic, ADR-50): the server
   * stores all of them or none. Every message but the last goes without a reply; the last carries
   * `Nats-Batch-Commit` and gets the PubAck of the whole (or the error: JetStreamApiError, e.g. 10201
   * when a message's Nats-Msg-Id is a duplicate, which refuses the whole batch). At most
   * ATOMIC_BATCH_MAX messages.
   */
  publishAtomic(msgs: { subject: string; data: Uint8Array; msgID?: string; headers?: Record<string, string> }[]): Promise<PubAck & { count?: number }> {
    if (msgs.length === 0) return Promise.reject(new Error("publishAtomic: no messages"));
    if (msgs.length > ATOMIC_BATCH_MAX) return Promise.reject(new Error(`publishAtomic: ${msgs.length} messages, over the server's ${ATOMIC_BATCH_MAX}`));
    if (this.nc.isClosed()) return Promise.reject(new errors.ClosedConnectionError());
    const batchId = nuid.next();
    const last = msgs.length - 1;
    try {
      for (let i = 0; i < last; i++) {
        const m = msgs[i]!;
        this.nc.publish(m.subject, m.data, { headers: batchHeaders(batchId, i + 1, false, m) });
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const m = msgs[last]!;
    const id = ++this.next;
    const p = new Promise<PubAck>((resolve, reject) => this.waiting.set(id, { resolve, reject, deadline: Date.now() + this.timeoutMs }));
    try {
      this.nc.publish(m.subject, m.data, { reply: `${this.prefix}.${id}`, headers: batchHeaders(batchId, last + 1, true, m) });
    } catch (err) {
      this.waiting.delete(id);
      return Promise.reject(err);
    }
    this.sweeper ??= setInterval(() => this.sweep(), publisherDefaults.sweepMs);
    return p;
  }

  /** Publishes waiting for their PubAck. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Drop the inbox; publishes still waiting fail. */
  close(): void {
    this.failAll(new errors.ClosedConnectionError());
    this.sub.unsubscribe();
  }

  private receive(msg: Msg): void {
    const id = Number(msg.subject.slice(this.prefix.length + 1));
    const w = this.waiting.get(id);
    if (!w) return; // answered after it timed out
    this.waiting.delete(id);
    // No stream listens on the subject (or none has a leader right now): the server says 503.
    if (msg.headers?.code === 503) return w.reject(new errors.NoRespondersError(msg.subject));
    try {
      const r = JSON.parse(this.dec.decode(msg.data)) as PubAck & { error?: { code: number; err_code: number; description: string } };
      if (r.error) return w.reject(new JetStreamApiError(r.error));
      w.resolve(r);
    } catch (err) {
      w.reject(new Error(`unreadable PubAck from the server: ${(err as Error).message}`, { cause: err }));
    }
  }

  // Entries are in publish order, all with the same timeout: the expired ones are at the front.
  private sweep(): void {
    const now = Date.now();
    for (const [id, w] of this.waiting) {
      if (w.deadline > now) break;
      this.waiting.delete(id);
      w.reject(new errors.TimeoutError());
    }
    this.idle();
  }

  private idle(): void {
    if (this.waiting.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.idle();
  }
}
