// The task stream takes docctl.tasks.<handler> (and its .high/.low) only: a job on a deeper subject,
// which no consumer would ever read, is refused at publish instead of stored and left forever.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { encodeJob } from "../../core/runtime/protocol/codec.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let nats: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.cleanup();
});

describe("DOCCTL_TASKS subjects", () => {
  test("an existing stream made with docctl.tasks.> is narrowed at start; docctl.tasks.echo.extra is then refused", async () => {
    const jsm = await jetstreamManager(nc);
    // as older docctl versions made it
    await jsm.streams.add({ name: "DOCCTL_TASKS", subjects: ["docctl.tasks.>"], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
    await ensureStreams(jsm, topologyDefaults, { keepReplicas: true });
    const cfg = (await jsm.streams.info("DOCCTL_TASKS")).config;
    expect(cfg.subjects).toEqual(["docctl.tasks.*", "docctl.tasks.*.high", "docctl.tasks.*.low"]);

    const js = jetstream(nc);
    const job = (handler: string) => encodeJob({ v: 1, id: `j-${handler}`, batch: `j-${handler}`, handler, payload: null, submitted_at: Date.now() });
    expect((await js.publish("docctl.tasks.echo", job("echo"), { msgID: "ok-1" })).stream).toBe("DOCCTL_TASKS");
    expect((await js.publish("docctl.tasks.echo.high", job("echo"), { msgID: "ok-2" })).stream).toBe("DOCCTL_TASKS");
    // no stream listens there: the publisher hears it at once
    await expect(js.publish("docctl.tasks.echo.extra", job("echo"), { msgID: "bad-1", timeout: 2000 })).rejects.toThrow();
    expect((await jsm.streams.info("DOCCTL_TASKS")).state.messages).toBe(2);
  });
});
