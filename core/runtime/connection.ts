// Opens the NATS connection every mode uses, turning "nothing listens there" into a clear UnreachableError.
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { UnreachableError } from "./errors.ts";

/** How to reach NATS. */
export interface NatsOptions {
  /** server URL(s), comma-separated */
  url: string;
  /** connection name shown by the server */
  name?: string;
  /** keep reconnecting forever (workers) instead of failing fast (CLI commands) */
  reconnectForever?: boolean;
  /** extra options passed to the client (auth, TLS) */
  extra?: Partial<NodeConnectionOptions>;
}

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** Connects, or throws UnreachableError naming the URL and what to do. */
export async function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  const servers = opts.url.split(",").map((s) => s.trim()).filter(Boolean);
  try {
    return await connect({
      servers,
      name: opts.name,
      maxReconnectAttempts: opts.reconnectForever ? -1 : 10,
      reconnectTimeWait: 250,
      waitOnFirstConnect: false,
      ...opts.extra,
    });
  } catch (err) {
    throw new UnreachableError(
      `cannot reach NATS at ${servers.join(", ")}: ${(err as Error).message}. ` +
        `Start one with \`docctl up\` or \`nats-server -js\`, or point --nats / DOCCTL_NATS_URL at yours.`,
      { cause: err },
    );
  }
}
