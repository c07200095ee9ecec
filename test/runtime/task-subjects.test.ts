// The task stream takes docctl.tasks.<handler> (and its .high/.low) only: a job on a deeper subject,
// which no consumer would ever read, is refused at publish instead of stored and left forever.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
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
    // plus the server-side schedules that fire into the queues (delays, schedules), which need the
    // stream's schedule and atomic-batch features and discard "old" (nats-server refuses schedules with "new")
    expect(cfg.subjects).toEqual(["docctl.tasks.*", "docctl.tasks.*.high", "docctl.tasks.*.low", "docctl.delay.*", "docctl.schedule.*.*"]);
    const c = cfg as unknown as Record<string, unknown>;
    expect([c.allow_msg_schedules, c.allow_atomic, c.discard]).toEqual([true, true, "old"]);

    const js = jetstream(nc);
    const job = (handler: string) => encodeJob({ v: 1, id: `j-${handler}`, batch: `j-${handler}`, handler, payload: null, submitted_at: Date.now() });
    expect((await js.publish("docctl.tasks.echo", job("echo"), { msgID: "ok-1" })).stream).toBe("DOCCTL_TASKS");
    expect((await js.publish("docctl.tasks.echo.high", job("echo"), { msgID: "ok-2" })).stream).toBe("DOCCTL_TASKS");
    // no stream listens there: the publisher hears it at once
    await expect(js.publish("docctl.tasks.echo.extra", job("echo"), { msgID: "bad-1", timeout: 2000 })).rejects.toThrow();
    expect((await jsm.streams.info("DOCCTL_TASKS")).state.messages).toBe(2);
  });

  test("a submitter (create-only) brings a DOCCTL_TASKS of an older docctl up to the features it needs, and nothing else", async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete("DOCCTL_TASKS");
    await jsm.streams.add({ name: "DOCCTL_TASKS", subjects: ["docctl.tasks.*", "docctl.tasks.*.high", "docctl.tasks.*.low"], retention: RetentionPolicy.Workqueue, storage: StorageType.File, discard: DiscardPolicy.New, duplicate_window: 60_000_000_000 });
    await ensureStreams(jsm, topologyDefaults, { createOnly: true });
    const c = (await jsm.streams.info("DOCCTL_TASKS")).config as unknown as Record<string, unknown>;
    expect([c.allow_msg_schedules, c.allow_atomic, c.discard]).toEqual([true, true, "old"]);
    expect(c.subjects).toContain("docctl.delay.*");
    // left alone: what a submitter must not reset
    expect(c.duplicate_window).toBe(60_000_000_000);
  });
});
