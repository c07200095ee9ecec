// How many replicas docctl gives a stream or bucket it creates: min(3, servers in the NATS cluster), or
// what the user asked for (`--replicas`, DOCCTL_REPLICAS, `replicas` in docctl.toml, the library's
// `replicas` option). Whoever creates a stream first (worker, manager, submit, Client, `docctl up`) uses
// this, so a cluster's streams come out replicated without a hand edit.
import type { NatsConnection, ServerInfo } from "@nats-io/transport-node";

/** The most replicas docctl picks by itself: three survive one server's loss; more only cost writes. */
export const MAX_AUTO_REPLICAS = 3;
/** JetStream's own limit on a stream's replicas. */
export const MAX_REPLICAS = 5;

/**
 * Servers in the cluster `info` describes (pure): the client URLs the server gossips (its own among
 * them) when it is in a cluster, else 1. A cluster configured with `no_advertise` gossips none: then
 * this says 1 and the user sets `--replicas`.
 */
export function clusterPeers(info: Pick<ServerInfo, "cluster" | "connect_urls"> | undefined): number {
  if (!info?.cluster) return 1;
  const urls = new Set(info.connect_urls ?? []);
  return Math.max(1, urls.size);
}

/** The replicas for a new stream (pure): the wanted number, else min(3, peers). */
export function autoReplicas(peers: number, wanted?: number): number {
  if (wanted !== undefined) return wanted;
  return Math.max(1, Math.min(MAX_AUTO_REPLICAS, peers));
}

// The replicas asked for on a connection (--replicas given to connectNats). Keyed by the connection, so
// two connections in one process (a library user's) can differ, and nothing outlives its connection.
const wantedByConnection = new WeakMap<NatsConnection, number>();

/** Remember the replicas asked for on `nc` (called by connectNats and the library's connection). */
export function setWantedReplicas(nc: NatsConnection, replicas: number | undefined): void {
  if (replicas === undefined) wantedByConnection.delete(nc);
  else wantedByConnection.set(nc, replicas);
}

/** The replicas asked for on `nc`, if any. */
export function wantedReplicas(nc: NatsConnection): number | undefined {
  return wantedByConnection.get(nc);
}

/** The replicas a stream or bucket created now through `nc` gets: `explicit`, else the connection's, else min(3, peers). */
export function replicasFor(nc: NatsConnection, explicit?: number): number {
  return autoReplicas(clusterPeers(nc.info), explicit ?? wantedReplicas(nc));
}

/** A problem with a replica count the user gave (pure): undefined when it is fine. */
export function replicasProblem(n: number, peers: number): string | undefined {
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) return `replicas must be a whole number from 1 to ${MAX_REPLICAS} (got ${n})`;
  if (n > peers) {
    return peers === 1
      ? `${n} replicas need a NATS cluster of at least ${n} servers; this server is not in a cluster (see docs/deploy.md, "A cluster from zero")`
      : `${n} replicas need at least ${n} servers in the NATS cluster; it has ${peers}. Add servers first, or ask for at most ${peers}`;
  }
  return undefined;
}
