// The Client's connection to NATS: opened on first use (again after one closed for good), its status
// relayed to onStatus and status() iterators, calls retried while NATS is away up to the grace.
import type { NatsConnection } from "@nats-io/transport-node";
import { DocctlError, UnreachableError } from "../runtime/protocol/errors.ts";
import { isTransientNatsError } from "../runtime/nats/errors.ts";
import { natsSetupBackoff, retrying } from "../runtime/util/backoff.ts";
import { holdConnection, releaseConnection, type HeldConnection } from "./connection.ts";
import { NatsUnreachableError } from "./result.ts";
import { clientDefaults, type ClientOptions, type ClientStatus } from "./client-options.ts";

/** One Client's hold on NATS (internal: the Client delegates its connection handling here). */
export class ClientConnection {
  private held?: Promise<HeldConnection>;
  private closed = false;
  private statusListeners = new Set<(s: ClientStatus) => void>();

  constructor(private readonly opts: ClientOptions) {}

  /** The connection, opened on first use and again after one closed for good. */
  async get(): Promise<NatsConnection> {
    if (this.closed) throw new DocctlError("CLOSED", "this Client is closed");
    // an earlier open that failed (its error went to its caller): opened again
    const current = await this.held?.catch(() => undefined);
    if (!current || (current.owned && current.nc.isClosed())) this.held = this.open();
    return (await this.held!).nc;
  }

  private async open(): Promise<HeldConnection> {
    const attempts = this.opts.maxReconnectAttempts ?? clientDefaults.maxReconnectAttempts;
    let held: HeldConnection;
    try {
      held = await holdConnection(this.opts, "docctl client", attempts < 0, {
        maxReconnectAttempts: attempts,
        reconnectTimeWait: this.opts.reconnectTimeWait ?? clientDefaults.reconnectTimeWait,
      });
    } catch (err) {
      if (err instanceof UnreachableError) throw new NatsUnreachableError(err.message, [], [], { cause: err });
      throw err;
    }
    void this.relayStatus(held.nc);
    return held;
  }

  // One reader of the connection's status feeds onStatus and every status() iterator.
  private async relayStatus(nc: NatsConnection) {
    const tell = (s: ClientStatus) => {
      try {
        this.opts.onStatus?.(s);
      } catch {
        /* a listener's error is not the connection's */
      }
      for (const l of this.statusListeners) l(s);
    };
    try {
      for await (const s of nc.status()) {
        const at = Date.now();
        if (s.type === "disconnect" || s.type === "reconnect") tell({ type: s.type, server: s.server, at });
        else if (s.type === "reconnecting") tell({ type: "reconnecting", at });
        else if (s.type === "error") tell({ type: "error", message: s.error?.message, at });
      }
    } catch {
      /* the iterator ends with the connection */
    }
    tell({ type: "close", at: Date.now() });
  }

  /** The connection's changes as they happen, until a "close" event or the loop is left. */
  async *status(): AsyncGenerator<ClientStatus, void, undefined> {
    await this.get();
    const queue: ClientStatus[] = [];
    let wake: (() => void) | undefined;
    const listener = (s: ClientStatus) => {
      queue.push(s);
      wake?.();
    };
    this.statusListeners.add(listener);
    try {
      for (;;) {
        while (!queue.length) await new Promise<void>((w) => (wake = w));
        const s = queue.shift()!;
        yield s;
        if (s.type === "close") return;
      }
    } finally {
      this.statusListeners.delete(listener);
    }
  }

  /** How long a call or a wait rides out a lost connection, ms. */
  get graceMs(): number {
    return this.opts.unreachableGraceMs ?? clientDefaults.unreachableGraceMs;
  }

  /** A call that needs the server now (cancel, job, result): retried while NATS is away, up to the grace. */
  async call<T>(what: string, f: (nc: NatsConnection) => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + this.graceMs;
    try {
      return await retrying(async () => f(await this.get()), { backoff: natsSetupBackoff, giveUpAt, retryable: (err) => isTransientNatsError(err) });
    } catch (err) {
      if (isTransientNatsError(err) || err instanceof NatsUnreachableError) {
        throw new NatsUnreachableError(`${what}: NATS did not answer within ${this.graceMs}ms (unreachableGraceMs): ${(err as Error).message}`, [], [], { cause: err });
      }
      throw err;
    }
  }

  /** Close the connection if it was opened here. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // an open that failed holds no connection to release (its error went to its caller)
    const held = await this.held?.catch(() => undefined);
    await releaseConnection(held);
  }
}
