// `docctl streams upgrade`: raise (or set) the replicas of every docctl stream and bucket in place, data
// kept, waiting for each new replica to catch up before the next stream, and refusing what the cluster
// cannot hold before touching anything.
import { jetstreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { InputError, ServerError } from "../protocol/errors.ts";
import { readStreamFacts, type StreamFacts } from "../nats/durability.ts";
import { apiErrorCode, MoreJetStreamApiCodes } from "../nats/errors.ts";
import { autoReplicas, clusterPeers, replicasProblem } from "../nats/replicas.ts";

/** What one step of an upgrade did, for the progress lines. */
export type UpgradeEvent =
  | { kind: "skip"; stream: string; replicas: number }
  | { kind: "start"; stream: string; from: number; to: number }
  | { kind: "progress"; stream: string; current: number; to: number; lag: number }
  | { kind: "done"; stream: string; to: number; ms: number };

export interface UpgradeOptions {
  /** the replicas every stream should have (default: min(3, servers in the cluster)) */
  replicas?: number;
  /** how long one stream may take to have every replica current, ms */
  catchUpTimeoutMs?: number;
  /** called for each step */
  onEvent?: (e: UpgradeEvent) => void;
}

export const upgradeDefaults = { catchUpTimeoutMs: 10 * 60_000 };

/** The streams an upgrade to `to` replicas changes (pure): available ones whose count differs. */
export function upgradePlan(streams: StreamFacts[], to: number): { change: StreamFacts[]; unavailable: StreamFacts[] } {
  return { change: streams.filter((s) => s.available && s.replicas !== to), unavailable: streams.filter((s) => !s.available) };
}

/**
 * Set every docctl stream and bucket to `o.replicas` replicas. Refuses (InputError) a count the cluster
 * cannot hold and streams without a leader, before changing anything. Resolves with the facts after.
 */
export async function upgradeStreams(nc: NatsConnection, o: UpgradeOptions = {}): Promise<StreamFacts[]> {
  const peers = clusterPeers(nc.info);
  const to = o.replicas ?? autoReplicas(peers);
  const problem = replicasProblem(to, peers);
  if (problem) throw new InputError(problem);
  const before = await readStreamFacts(nc);
  const { change, unavailable } = upgradePlan(before, to);
  if (unavailable.length) {
    throw new ServerError(
      `${unavailable.map((s) => s.name).join(", ")} ${unavailable.length > 1 ? "have" : "has"} no leader (the servers holding ${unavailable.length > 1 ? "them" : "it"} are down): ` +
        `start those servers again, then upgrade; nothing was changed`,
    );
  }
  const jsm = await jetstreamManager(nc);
  for (const s of before) if (!change.includes(s)) o.onEvent?.({ kind: "skip", stream: s.name, replicas: s.replicas });
  for (const s of change) {
    const t0 = Date.now();
    o.onEvent?.({ kind: "start", stream: s.name, from: s.replicas, to });
    const info = await jsm.streams.info(s.name);
    const cfg = { ...info.config, num_replicas: to } as StreamConfig;
    try {
      await jsm.streams.update(s.name, cfg);
    } catch (err) {
      const code = apiErrorCode(err);
      if (code === MoreJetStreamApiCodes.ClusterNoPeers || code === MoreJetStreamApiCodes.InsufficientResources) {
        throw new ServerError(
          `${s.name}: the cluster cannot place ${to} replicas (${(err as Error).message}): every server must be up and have room for the stream (${s.bytes} bytes); ` +
            `streams before it in the list were upgraded, it and those after were not`,
          { cause: err },
        );
      }
      throw err;
    }
    await waitCurrent(nc, s.name, to, o.catchUpTimeoutMs ?? upgradeDefaults.catchUpTimeoutMs, o.onEvent);
    o.onEvent?.({ kind: "done", stream: s.name, to, ms: Date.now() - t0 });
  }
  return await readStreamFacts(nc);
}

// Until the stream has a leader and to-1 peers, all current (caught up with the leader).
async function waitCurrent(nc: NatsConnection, name: string, to: number, timeoutMs: number, onEvent?: (e: UpgradeEvent) => void): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: 2_000 });
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    // a stream without a leader answers nothing while it elects one: waited for below, with a progress line
    const si = await jsm.streams.info(name).catch(() => undefined);
    const peers = si?.cluster?.replicas ?? [];
    const current = (si?.cluster?.leader ? 1 : 0) + peers.filter((p) => p.current && !p.offline).length;
    const lag = peers.reduce((n, p) => n + (p.lag ?? 0), 0);
    const line = `${current}/${lag}`;
    if (line !== last) onEvent?.({ kind: "progress", stream: name, current, to, lag });
    last = line;
    if (si && current >= to) return;
    if (Date.now() > deadline) {
      throw new ServerError(`${name}: ${current} of ${to} replicas current after ${Math.round(timeoutMs / 1000)}s; the stream keeps serving, check the servers and run the upgrade again`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
