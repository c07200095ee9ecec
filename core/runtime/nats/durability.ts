// How safely the NATS server keeps docctl's jobs: every docctl stream and bucket with its replicas,
// leader and peers (readStreamFacts), and the warnings they call for (durabilityProblems, pure): fewer
// replicas than the cluster could give, a replica offline or behind, a stream with no leader, memory
// storage. Read by `docctl status`, `docctl streams`, the manager at start, /healthz and /metrics.
import { jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { supportsSyncAlways } from "./embedded.ts";
import { isNoAnswer, isNotFound, isTransientNatsError } from "./errors.ts";
import { StreamUnavailableError, UnreachableError } from "../protocol/errors.ts";
import { autoReplicas, clusterPeers } from "./replicas.ts";

/** One replica of a stream other than its leader. */
export interface PeerFacts {
  name: string;
  /** caught up with the leader */
  current: boolean;
  /** its server is not reachable */
  offline: boolean;
  /** operations behind the leader */
  lag: number;
}

/** What the checks and `docctl streams` need to know about one stream or bucket. */
export interface StreamFacts {
  name: string;
  /** "stream", "kv" (KV_ bucket) or "object" (OBJ_ bucket) */
  kind: "stream" | "kv" | "object";
  replicas: number;
  storage: "file" | "memory";
  /** false when its info did not come back: no leader (its servers down or electing) */
  available: boolean;
  /** the server leading it (in a cluster) */
  leader?: string;
  /** the other replicas */
  peers: PeerFacts[];
  /** the cluster it is placed in, and placement tags */
  placement?: string;
  messages: number;
  bytes: number;
}

/** docctl's streams and buckets: DOCCTL_* streams, KV_DOCCTL_* and OBJ_DOCCTL_* buckets. */
export const isDocctlStream = (name: string) => /^(KV_|OBJ_)?DOCCTL_/.test(name);

const kindOf = (name: string): StreamFacts["kind"] => (name.startsWith("KV_") ? "kv" : name.startsWith("OBJ_") ? "object" : "stream");

/** The facts of one stream from its info (pure). */
export function factsOf(si: StreamInfo): StreamFacts {
  const c = si.cluster;
  const tags = si.config.placement?.tags?.length ? ` tags ${si.config.placement.tags.join(",")}` : "";
  return {
    name: si.config.name,
    kind: kindOf(si.config.name),
    replicas: si.config.num_replicas ?? 1,
    storage: String(si.config.storage) === "memory" ? "memory" : "file",
    available: true,
    leader: c?.leader,
    peers: (c?.replicas ?? []).map((r) => ({ name: r.name, current: Boolean(r.current), offline: Boolean(r.offline), lag: r.lag ?? 0 })),
    placement: c?.name ? `${c.name}${tags}` : tags.trim() || undefined,
    messages: si.state.messages,
    bytes: si.state.bytes,
  };
}

/**
 * Every docctl stream and bucket on the server `nc` talks to, by name. A stream whose info does not come
 * back within `timeoutMs` (no leader: its only server down, or an election) is listed as unavailable.
 */
export async function readStreamFacts(nc: NatsConnection, timeoutMs = 2_000): Promise<StreamFacts[]> {
  const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
  const names: string[] = [];
  // Names come from the meta leader and answer even when a stream has no leader (a full listing would not).
  for await (const n of jsm.streams.names()) if (isDocctlStream(n)) names.push(n);
  names.sort();
  return await Promise.all(
    names.map(async (name): Promise<StreamFacts> => {
      try {
        return factsOf(await jsm.streams.info(name));
      } catch (err) {
        if (!isNoAnswer(err) && !isNotFound(err)) throw err;
        return { name, kind: kindOf(name), replicas: 0, storage: "file", available: false, peers: [], messages: 0, bytes: 0 };
      }
    }),
  );
}

/** The replicas the cluster could give each stream (pure): min(3, servers). */
export const expectedReplicas = (peers: number) => autoReplicas(peers);

/**
 * The warnings for these facts (pure: no server needed). Each says what is wrong and what to do.
 * `peers`: servers in the NATS cluster (1 for a single server).
 */
export function durabilityProblems(streams: StreamFacts[], serverVersion: string, peers: number): string[] {
  const out: string[] = [];
  const version = serverVersion.replace(/^\D*/, "");
  if (version && !supportsSyncAlways(version)) {
    out.push(
      `nats-server ${version} is older than 2.10: it cannot flush to disk before acknowledging (sync_interval: always), ` +
        `so a power failure can lose jobs it already acknowledged. Upgrade nats-server (docctl needs 2.14 or newer).`,
    );
  }
  const mine = streams.filter((s) => isDocctlStream(s.name)).sort((a, b) => a.name.localeCompare(b.name));
  for (const s of mine.filter((x) => !x.available)) {
    out.push(
      `${s.name} is unavailable: it has no leader (the servers holding it are down, or electing one). ` +
        `Jobs and results in it can be neither written nor read until one of its servers is back: start it again; ` +
        `once it is, \`docctl streams upgrade\` gives it replicas so one server's loss no longer stops it.`,
    );
  }
  const want = expectedReplicas(peers);
  const few = mine.filter((s) => s.available && s.replicas < want);
  if (few.length) {
    out.push(
      `${few.map((s) => `${s.name} (${s.replicas})`).join(", ")}: fewer replicas than the cluster of ${peers} servers could give (${want}), ` +
        `so losing one server stops them or loses what they hold. Run \`docctl streams upgrade\` (data kept).`,
    );
  }
  for (const s of mine.filter((x) => x.available)) {
    const off = s.peers.filter((p) => p.offline);
    const behind = s.peers.filter((p) => !p.offline && !p.current);
    if (off.length) out.push(`${s.name}: replica${off.length > 1 ? "s" : ""} on ${off.map((p) => p.name).join(", ")} offline (leader ${s.leader ?? "?"}); start ${off.length > 1 ? "those servers" : "that server"} again.`);
    if (behind.length) out.push(`${s.name}: replica${behind.length > 1 ? "s" : ""} on ${behind.map((p) => `${p.name} (${p.lag} behind)`).join(", ")} catching up with the leader ${s.leader ?? "?"}.`);
  }
  for (const s of mine.filter((x) => x.storage === "memory")) {
    out.push(`${s.name} is kept in memory: a server restart empties it. Recreate it with file storage.`);
  }
  return out;
}

/** The warnings for the server `nc` talks to (see durabilityProblems). */
export async function durabilityWarnings(nc: NatsConnection): Promise<string[]> {
  return durabilityProblems(await readStreamFacts(nc), nc.info?.version ?? "", clusterPeers(nc.info));
}

/**
 * What a request to JetStream that was never answered (a timeout, no responders) means, for the user:
 * StreamUnavailableError naming docctl's streams that have no leader, UnreachableError when JetStream
 * itself does not answer (no meta leader: a majority of the cluster down), or undefined when the error
 * is something else or the streams all answer now (the caller keeps its own error).
 */
export async function explainNoAnswer(nc: NatsConnection, err: unknown): Promise<Error | undefined> {
  if (!isNoAnswer(err) && !isTransientNatsError(err)) return undefined;
  if (nc.isClosed()) return undefined;
  let facts: StreamFacts[];
  try {
    facts = await readStreamFacts(nc, 2_000);
  } catch (e) {
    if (!isNoAnswer(e) && !isTransientNatsError(e)) return undefined;
    return new UnreachableError(
      `JetStream at ${nc.getServer()} does not answer: on a cluster, a majority of its servers must be up to elect a leader ` +
        `(${clusterPeers(nc.info)} servers known). Start the servers that are down; \`docctl status\` shows the streams once it answers.`,
      { cause: err },
    );
  }
  const down = facts.filter((s) => !s.available).map((s) => s.name);
  if (!down.length) return undefined;
  return new StreamUnavailableError(
    `${down.join(", ")} ${down.length > 1 ? "are" : "is"} unavailable: no leader, so the servers holding ${down.length > 1 ? "them" : "it"} are down (or electing one). ` +
      `Nothing was lost: start those servers again. Once they are back, \`docctl streams upgrade\` gives every stream replicas so one server's loss no longer stops the queue.`,
    down,
    { cause: err },
  );
}
