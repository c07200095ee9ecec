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
  /** where the jobs and the server's status messages of this puller's requests come (a new one after a pause) */
  get inbox(): string {
    return this.#inbox;
  }
  #inbox: string;
  private requests: Request[] = [];
  private sweeper: ReturnType<typeof setInterval>;
  private idleWaiters: (() => void)[] = [];
  /** held (a pause): jobs still arriving are handed back (nak), none is passed on */
  private holding?: Promise<void>;

  constructor(private nc: NatsConnection, private o: PullerOptions) {
    this.#inbox = createInbox();
    this.sub = this.listen();
    // A request whose end we never heard of (its status lost across a reconnect) is given up after
    // its deadline, so its slots come back.
    this.sweeper = setInterval(() => this.sweep(Date.now()), 1000);
  }

  private listen(): Subscription {
    const inbox = this.inbox;
    return this.nc.subscribe(inbox, { callback: (_err, msg) => this.receive(msg, inbox) });
  }

  /**
   * Stop deliveries now (a pause): the inbox is unsubscribed at the server, which then skips our pull
   * requests (it only delivers to a reply subject someone listens on), and jobs that were already on
   * their way (before the server saw the unsubscribe) are handed back with a nak; `onHandBack` is told
   * of each. Resolves once the server has confirmed: nothing more comes. Requests end (onUnfilled).
   */
  hold(onHandBack: (m: JobMsg) => void): Promise<void> {
    if (this.holding) return this.holding;
    this.handBack = onHandBack;
    // drain: UNSUB to the server, then messages up to the flush's PONG still reach receive()
    this.holding = this.sub.drain().then(() => {
      for (const r of this.requests.splice(0)) this.end(r);
    });
    return this.holding;
  }

  /** Take deliveries again after hold() (on a new inbox). */
  async release(): Promise<void> {
    if (!this.holding) return;
    await this.holding;
    this.holding = undefined;
    this.handBack = undefined;
    this.#inbox = createInbox();
    this.sub = this.listen();
  }

  private handBack?: (m: JobMsg) => void;

  /** Ask for `n` jobs (`noWait`: only those waiting now). */
  pull(n: number, opts: { noWait?: boolean } = {}): void {
    if (this.holding) {
      // held: nothing is asked for; the slots go back at once
      queueMicrotask(() => this.o.onUnfilled(n));
      return;
    }
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
    if (!this.sub.isClosed()) this.sub.unsubscribe();
  }

  private receive(msg: Msg, inbox: string): void {
    // Jobs carry their own subject; the server's status messages come on the inbox itself.
    if (msg.subject === inbox) {
      if (this.holding) return; // the held requests have ended already
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
    if (this.holding) {
      // on its way before the pause reached the server: handed back at once, for another worker
      job.nak();
      this.handBack?.(job);
      return;
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
