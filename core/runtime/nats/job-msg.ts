// A job delivered by a pull request, and the acks a worker sends for it. nats.js builds its JsMsg only
// inside its own consumers (toJsMsg is not exported), and the puller makes its own pull requests, so
// docctl owns this small wrapper: the ack protocol it speaks is JetStream's documented one (ADR-15).
import type { Msg, MsgHdrs } from "@nats-io/transport-node";

/** What the reply subject `$JS.ACK...` of a delivered message says about it. */
export interface DeliveryInfo {
  stream: string;
  consumer: string;
  /** 1 on the first delivery */
  deliveryCount: number;
  streamSequence: number;
  consumerSequence: number;
  /** messages still pending on the consumer after this one */
  pending: number;
  /** when the stream stored the message, ms since epoch (a schedule's tick: protocol/ticks.ts) */
  timestampMs: number;
}

/**
 * Parse a JetStream ack subject: `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`
 * (9 tokens), or the newer form with `<domain>.<account hash>` after `ACK` (12 tokens). Undefined when
 * `reply` is not one.
 */
export function parseAckSubject(reply: string | undefined): DeliveryInfo | undefined {
  const t = (reply ?? "").split(".");
  if (t.length === 9) t.splice(2, 0, "_", "");
  if (t.length < 11 || t[0] !== "$JS" || t[1] !== "ACK") return undefined;
  const n = (i: number) => Number.parseInt(t[i]!, 10);
  return { stream: t[4]!, consumer: t[5]!, deliveryCount: n(6), streamSequence: n(7), consumerSequence: n(8), pending: n(10), timestampMs: Math.floor(Number(t[9]) / 1e6) };
}

/** A delivered job message: its bytes, where it came from, and ack / nak / in-progress. */
export class JobMsg {
  readonly info: DeliveryInfo;
  private acked = false;

  constructor(private msg: Msg) {
    const info = parseAckSubject(msg.reply);
    if (!info) throw new Error(`not a JetStream delivery: reply subject "${msg.reply ?? ""}"`);
    this.info = info;
  }

  get subject(): string {
    return this.msg.subject;
  }

  get data(): Uint8Array {
    return this.msg.data;
  }

  get headers(): MsgHdrs | undefined {
    return this.msg.headers;
  }

  /** The ack subject (`$JS.ACK...`): another process (a watchdog) can ack or nak the job with it. */
  get reply(): string {
    return this.msg.reply!;
  }

  /** Done: JetStream removes it from the work queue. */
  ack(): void {
    this.send("+ACK", true);
  }

  /** Redeliver it after `delayMs` (or at once). */
  nak(delayMs?: number): void {
    this.send(delayMs && delayMs > 0 ? `-NAK ${JSON.stringify({ delay: delayMs * 1_000_000 })}` : "-NAK", true);
  }

  /** Never deliver it again. */
  term(): void {
    this.send("+TERM", true);
  }

  /** Still being worked on: restarts the ack wait. */
  working(): void {
    this.send("+WPI", false);
  }

  // After an ack or a nak the message is settled: later acks would only confuse the server's count.
  private send(body: string, final: boolean): void {
    if (this.acked) return;
    if (final) this.acked = true;
    this.msg.respond(body);
  }
}
