// Where Client and Worker get their NATS connection: a URL (connected and closed by them) or the
// caller's own connection (used as is, never closed by them).
import type { NatsConnection } from "@nats-io/transport-node";
import type { NodeConnectionOptions } from "@nats-io/transport-node";
import { connectNats, type NatsAuth } from "../runtime/nats/connection.ts";
import { assertServerVersion } from "../runtime/nats/server-version.ts";
import { setWantedReplicas } from "../runtime/nats/replicas.ts";

/** How Client and Worker reach NATS: the same credentials and TLS options as the CLI's `--nats-*`/`--tls-*`. */
export interface NatsTarget extends NatsAuth {
  /** a server URL (comma-separated for several; `nats://user:pass@host` works) or an open connection */
  nats: string | NatsConnection;
  /**
   * connection name shown by the server (`nats server report connections`)
   * @defaultValue "docctl client" or "docctl worker ID"
   */
  name?: string;
  /**
   * Replicas of the streams and buckets this Client or Worker creates when they do not exist yet.
   * @defaultValue min(3, servers in the NATS cluster): 1 on a single server, 3 on a cluster of three or more
   */
  replicas?: number;
}

/** A connection and whether its closing is ours to do. */
export interface HeldConnection {
  nc: NatsConnection;
  owned: boolean;
}

/** Connect to `t.nats` (or take the given connection). */
export async function holdConnection(t: NatsTarget, defaultName: string, reconnectForever: boolean, extra?: Partial<NodeConnectionOptions>): Promise<HeldConnection> {
  if (typeof t.nats !== "string") {
    // the caller's connection: checked like ours (ServerVersionError, code NATS_SERVER_TOO_OLD)
    assertServerVersion(t.nats);
    if (t.replicas !== undefined) setWantedReplicas(t.nats, t.replicas);
    return { nc: t.nats, owned: false };
  }
  const { nats: url, name, replicas, ...rest } = t;
  const auth: NatsAuth = {
    user: rest.user,
    password: rest.password,
    token: rest.token,
    nkeyFile: rest.nkeyFile,
    credsFile: rest.credsFile,
    tlsCa: rest.tlsCa,
    tlsCert: rest.tlsCert,
    tlsKey: rest.tlsKey,
  };
  for (const k of Object.keys(auth) as (keyof NatsAuth)[]) if (auth[k] === undefined) delete auth[k];
  const nc = await connectNats({ url, auth, name: name ?? defaultName, reconnectForever, extra, replicas, audience: "library" });
  return { nc, owned: true };
}

/** Close a connection we opened (draining it: pending publishes are flushed); leave the caller's alone. */
export async function releaseConnection(h: HeldConnection | undefined): Promise<void> {
  if (!h?.owned || h.nc.isClosed()) return;
  await h.nc.drain().catch(() => h.nc.close());
}
