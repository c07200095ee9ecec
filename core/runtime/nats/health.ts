// Whether a NATS connection is really up, from the client's status events. A client that lost its
// server and keeps reconnecting is not "closed" (isClosed() stays false for as long as it retries), so
// health checks that asked isClosed() said "connected" through a whole outage. Used by the worker's,
// the supervisor's and the manager's /healthz and their docctl_nats_connected gauge.
import type { NatsConnection } from "@nats-io/transport-node";

/** What /healthz shows about NATS. */
export interface NatsHealthState {
  connected: boolean;
  /** "connected", "reconnecting" (lost, trying again) or "closed" (given up, or stopped) */
  state: "connected" | "reconnecting" | "closed";
  /** ms since epoch of the last change */
  since: number;
  /** the server the connection last lost or reached */
  server?: string;
}

/** Follows one connection's status events; `connected` is false from the moment it is lost. */
export class NatsHealth {
  #state: NatsHealthState = { connected: true, state: "connected", since: Date.now() };
  #stopped = false;

  constructor(private readonly nc: NatsConnection) {
    void (async () => {
      for await (const s of nc.status()) {
        if (this.#stopped) break;
        if (s.type === "disconnect" || s.type === "staleConnection") this.#set("reconnecting", "server" in s ? s.server : undefined);
        else if (s.type === "reconnecting" && this.#state.connected) this.#set("reconnecting");
        else if (s.type === "reconnect") this.#set("connected", s.server);
        else if (s.type === "close") this.#set("closed");
      }
    })().catch(() => {}); // the status iterator ends with the connection; closed() below records that
    void nc.closed().then(() => this.#set("closed"));
  }

  #set(state: NatsHealthState["state"], server?: string): void {
    if (this.#state.state === "closed") return;
    if (this.#state.state === state) return;
    this.#state = { connected: state === "connected", state, since: Date.now(), ...(server ? { server } : {}) };
  }

  /** True while the connection is up (not lost, not reconnecting, not closed). */
  get connected(): boolean {
    return this.#state.connected && !this.nc.isClosed();
  }

  state(): NatsHealthState {
    return this.nc.isClosed() && this.#state.state !== "closed" ? { ...this.#state, connected: false, state: "closed" } : { ...this.#state };
  }

  /** Stop following (the status iterator ends when the connection closes). */
  stop(): void {
    this.#stopped = true;
  }
}
