// durabilityWarnings: old servers, unreplicated or in-memory streams; pure and against a real server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { durabilityProblems, durabilityWarnings } from "../../core/runtime/nats/durability.ts";
import { ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

describe("durabilityProblems", () => {
  const replicated = ["DOCCTL_TASKS", "DOCCTL_RESULTS", "DOCCTL_DEAD", "OBJ_DOCCTL_OUTPUTS"].map((name) => ({ name, replicas: 3, storage: "file" as const }));

  test("a 2.10+ server with replicated file streams: nothing to say", () => {
    expect(durabilityProblems(replicated, "2.10.22")).toEqual([]);
    expect(durabilityProblems(replicated, "v2.12.1")).toEqual([]);
  });

  test("a server older than 2.10 is named, with what to do", () => {
    const [w] = durabilityProblems(replicated, "2.9.10");
    expect(w).toContain("nats-server 2.9.10 is older than 2.10");
    expect(w).toContain("sync_interval: always");
  });

  test("streams with fewer than 3 replicas are listed in one warning; other streams are not docctl's business", () => {
    const streams = [...replicated.slice(1), { name: "DOCCTL_TASKS", replicas: 1, storage: "file" as const }, { name: "KV_DOCCTL_WORKERS", replicas: 1, storage: "file" as const }, { name: "ORDERS", replicas: 1, storage: "file" as const }];
    const w = durabilityProblems(streams, "2.11.0");
    expect(w).toHaveLength(1);
    expect(w[0]).toStartWith("DOCCTL_TASKS (1), KV_DOCCTL_WORKERS (1): fewer than 3 replicas");
    expect(w[0]).toContain("--replicas 3");
    expect(w[0]).not.toContain("ORDERS");
  });

  test("memory storage is a warning of its own; minReplicas can be lowered for a single server", () => {
    const w = durabilityProblems([{ name: "DOCCTL_RESULTS", replicas: 1, storage: "memory" }], "2.10.0", { minReplicas: 1 });
    expect(w).toEqual(["DOCCTL_RESULTS is kept in memory: a server restart empties it. Recreate it with file storage."]);
  });
});

describe("durabilityWarnings against a server", () => {
  let s: NatsServerHandle;
  beforeAll(async () => (s = await startNatsServer()));
  afterAll(async () => await s.cleanup());

  test("reads docctl's streams and the server version", async () => {
    const nc = await connectNats({ url: s.url });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStreams(jsm, topologyDefaults);
      await jsm.streams.add({ name: "DOCCTL_SCRATCH", subjects: ["scratch.>"], storage: StorageType.Memory });
      const version = nc.info!.version;
      const w = await durabilityWarnings(jsm, version);
      if (version.startsWith("2.9.")) expect(w[0]).toContain("older than 2.10");
      expect(w.find((x) => x.includes("fewer than 3 replicas"))).toContain("DOCCTL_TASKS (1)");
      expect(w).toContain("DOCCTL_SCRATCH is kept in memory: a server restart empties it. Recreate it with file storage.");
    } finally {
      await nc.close();
    }
  });
});
