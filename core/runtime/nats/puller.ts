// Pull requests on one long-lived inbox per handler: the worker asks for exactly as many jobs as it has
// free slots, without the per-pull subscription, timers and iterator a nats.js fetch() sets up.
import { createInbox, nanos, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { JobMsg } from "./job-msg.ts";

interface Request {
  remaining: number;
  /** when the request must have ended even if its status message was lost (e.g. a reconnect) */
  deadline: number;
}

export interface PullerOptions {
  stream: string;
  consumer: string;
  /** how long one pull request waits at the server, ms */
  expiresMs: number;
  /** a job arrived */
  onMessage(m: JobMsg): void;
  /** `n` requested jobs will not come (the request expired or was cut short): free their slots */
  onUnfilled(n: number): void;
}

/** One handler's pull requests; JetStream fills them in the order they were made. */
export class Puller {
  private sub: Subscription;
  /** where the jobs and the server's status messages of this puller's requests come */
  readonly inbox: string;
  private requests: Request[] = [];
  private sweeper: ReturnType<typeof setInterval>;
  private idleWaiters: (() => void)[] = [];

  constructor(private nc: NatsConnection, private o: PullerOptions) {
    this.inbox = createInbox();
    this.sub = nc.subscribe(this.inbox, { callback: (_err, msg) => this.receive(msg) });
    // A request whose end we never heard of (its status lost across a reconnect) is given up after
    // its deadline, so its slots come back.
    this.sweeper = setInterval(() => this.sweep(Date.now()), 1000);
  }

  /** Ask for `n` jobs (`noWait`: only those waiting now). */
  pull(n: number, opts: { noWait?: boolean } = {}): void {
    this.requests.push({ remaining: n, deadline: Date.now() + this.o.expiresMs + 2000 });
    // noWait: the server answers at once, with what it has or a 404 (a probe, see PriorityPuller)
    const body = JSON.stringify(opts.noWait ? { batch: n, no_wait: true } : { batch: n, expires: nanos(this.o.expiresMs) });
    this.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${this.o.stream}.${this.o.consumer}`, body, { reply: this.inbox });
  }

  /** Jobs asked for and not yet delivered. */
  get outstanding(): number {
    return this.requests.reduce((a, r) => a + r.remaining, 0);
  }

  /** Resolves when every request has ended (delivered, expired or given up). */
  idle(): Promise<void> {
    return this.requests.length === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stop: wait for outstanding requests to end (at most their expiry), then drop the inbox. */
  async stop(): Promise<void> {
    await this.idle();
    clearInterval(this.sweeper);
    this.sub.unsubscribe();
  }

  private receive(msg: Msg): void {
    // Jobs carry their own subject; the server's status messages come on the inbox itself.
    if (msg.subject === this.inbox) {
      // 100 is an idle heartbeat (only sent when asked for): not the end of a request.
      if (msg.headers?.code === 100) return;
      // 408 request expired, 409 cut short (consumer deleted, limits ...), 404 nothing waiting:
      // each ends the oldest request; the jobs it did not bring free their slots.
      this.end(this.requests.shift());
      return;
    }
    let job: JobMsg;
    try {
      job = new JobMsg(msg);
    } catch {
      return; // not a JetStream delivery (someone published on our inbox): nothing we asked for
    }
    const r = this.requests[0];
    if (r && --r.remaining === 0) this.end(this.requests.shift());
    this.o.onMessage(job);
  }

  private end(r: Request | undefined): void {
    if (r && r.remaining > 0) this.o.onUnfilled(r.remaining);
    if (this.requests.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private sweep(now: number): void {
    while (this.requests.length && this.requests[0]!.deadline < now) this.end(this.requests.shift());
  }
}
