// durabilityProblems and durabilityWarnings: fewer replicas than the cluster could give, replicas offline
// or behind, streams without a leader, in-memory streams; pure, and against a real single server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { durabilityProblems, durabilityWarnings, type StreamFacts } from "../../core/runtime/nats/durability.ts";
import { autoReplicas, clusterPeers, replicasProblem } from "../../core/runtime/nats/replicas.ts";
import { ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

const facts = (name: string, replicas: number, more: Partial<StreamFacts> = {}): StreamFacts => ({
  name, kind: "stream", replicas, storage: "file", available: true, peers: [], messages: 0, bytes: 0, ...more,
});

describe("replicas docctl picks", () => {
  test("min(3, servers in the cluster), or what was asked for", () => {
    expect(autoReplicas(1)).toBe(1);
    expect(autoReplicas(2)).toBe(2);
    expect(autoReplicas(3)).toBe(3);
    expect(autoReplicas(5)).toBe(3);
    expect(autoReplicas(5, 5)).toBe(5);
    expect(autoReplicas(3, 1)).toBe(1);
  });
  test("servers are counted from the client URLs a clustered server gossips; a lone server is one", () => {
    expect(clusterPeers(undefined)).toBe(1);
    expect(clusterPeers({ connect_urls: ["a:1"] })).toBe(1);
    expect(clusterPeers({ cluster: "c", connect_urls: ["a:1", "b:1", "c:1", "a:1"] })).toBe(3);
    expect(clusterPeers({ cluster: "c" })).toBe(1);
  });
  test("a replica count the cluster cannot hold is refused with what to do", () => {
    expect(replicasProblem(3, 3)).toBeUndefined();
    expect(replicasProblem(3, 1)).toContain("not in a cluster");
    expect(replicasProblem(3, 2)).toContain("it has 2");
    expect(replicasProblem(0, 3)).toContain("from 1 to 5");
  });
});

describe("durabilityProblems", () => {
  const replicated = ["DOCCTL_TASKS", "DOCCTL_RESULTS", "DOCCTL_DEAD", "OBJ_DOCCTL_OUTPUTS"].map((n) => facts(n, 3));

  test("replicated file streams on a cluster, or single replicas on a lone server: nothing to say", () => {
    expect(durabilityProblems(replicated, "2.15.1", 3)).toEqual([]);
    expect(durabilityProblems(replicated.map((s) => ({ ...s, replicas: 1 })), "2.15.1", 1)).toEqual([]);
  });

  test("a server older than 2.10 is named, with what to do", () => {
    const [w] = durabilityProblems(replicated, "2.9.10", 3);
    expect(w).toContain("nats-server 2.9.10 is older than 2.10");
    expect(w).toContain("2.14 or newer");
  });

  test("streams with fewer replicas than the cluster could give are listed in one warning; other streams are not docctl's business", () => {
    const streams = [...replicated.slice(1), facts("DOCCTL_TASKS", 1), facts("KV_DOCCTL_WORKERS", 1, { kind: "kv" }), facts("ORDERS", 1)];
    const w = durabilityProblems(streams, "2.15.1", 3);
    expect(w).toHaveLength(1);
    expect(w[0]).toStartWith("DOCCTL_TASKS (1), KV_DOCCTL_WORKERS (1): fewer replicas than the cluster of 3 servers could give (3)");
    expect(w[0]).toContain("docctl streams upgrade");
    expect(w[0]).not.toContain("ORDERS");
  });

  test("a stream without a leader, replicas offline and replicas behind are each said", () => {
    const w = durabilityProblems(
      [
        facts("DOCCTL_TASKS", 0, { available: false }),
        facts("DOCCTL_RESULTS", 3, { leader: "n1", peers: [{ name: "n2", current: false, offline: true, lag: 0 }, { name: "n3", current: false, offline: false, lag: 42 }] }),
      ],
      "2.15.1",
      3,
    );
    expect(w[0]).toStartWith("DOCCTL_TASKS is unavailable: it has no leader");
    expect(w).toContain("DOCCTL_RESULTS: replica on n2 offline (leader n1); start that server again.");
    expect(w).toContain("DOCCTL_RESULTS: replica on n3 (42 behind) catching up with the leader n1.");
  });

  test("memory storage is a warning of its own", () => {
    const w = durabilityProblems([facts("DOCCTL_RESULTS", 1, { storage: "memory" })], "2.15.0", 1);
    expect(w).toEqual(["DOCCTL_RESULTS is kept in memory: a server restart empties it. Recreate it with file storage."]);
  });
});

describe("durabilityWarnings against a server", () => {
  let s: NatsServerHandle;
  beforeAll(async () => (s = await startNatsServer()));
  afterAll(async () => await s.cleanup());

  test("reads docctl's streams: a lone server's single replicas are fine, memory storage is not", async () => {
    const nc = await connectNats({ url: s.url });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStreams(jsm, topologyDefaults);
      expect((await jsm.streams.info("DOCCTL_TASKS")).config.num_replicas).toBe(1);
      await jsm.streams.add({ name: "DOCCTL_SCRATCH", subjects: ["scratch.>"], storage: StorageType.Memory });
      const w = await durabilityWarnings(nc);
      expect(w).toEqual(["DOCCTL_SCRATCH is kept in memory: a server restart empties it. Recreate it with file storage."]);
    } finally {
      await nc.close();
    }
  });
});
