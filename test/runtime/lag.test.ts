// Reading lag from a real nats-server: consumer pending + ack pending, and jobs of handlers without a consumer.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { jetstreamManager } from "@nats-io/jetstream";
import { lagReading, readLag } from "../../core/runtime/client/lag.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { createTasksStream, publishJobs } from "../scaler/setup.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ({ ns, nc } = await setup());
});
afterAll(async () => {
  await cleanup(ns, nc);
});

test("lag is 0 with no tasks stream, then pending + in flight per handler, and stream counts where no consumer exists", async () => {
  const jsm = await jetstreamManager(nc);
  expect(await readLag(jsm)).toEqual({ total: 0, delivered: 0, handlers: [], streamExists: false });
  await createTasksStream(nc, ["render"]);
  await publishJobs(nc, 5, "render");
  await publishJobs(nc, 3, "fresh"); // no worker has ever created docctl-fresh
  // take two render jobs without acking them: they are in flight
  const c = await jetstream(nc).consumers.get("DOCCTL_TASKS", "docctl-render");
  const held = [await c.next(), await c.next()];
  expect(held.every(Boolean)).toBe(true);
  const lag = await readLag(jsm);
  expect(lag.total).toBe(8);
  expect(lag.delivered).toBe(2);
  expect(lag.handlers).toEqual([
    { handler: "fresh", pending: 3, ackPending: 0, lag: 3, delivered: 0, source: "stream" },
    { handler: "render", pending: 3, ackPending: 2, lag: 5, delivered: 2, source: "consumer" },
  ]);
  for (const m of held) m!.ack();
});

test("the reading is a pure function of consumer infos and per-subject counts: foreign consumers are ignored", () => {
  const consumers = [
    { name: "docctl-pdf", num_pending: 4, num_ack_pending: 2, delivered: { consumer_seq: 10, stream_seq: 10 } },
    { name: "someone-else", num_pending: 100, num_ack_pending: 100, delivered: { consumer_seq: 0, stream_seq: 0 } },
  ];
  const r = lagReading(consumers, { "docctl.tasks.pdf": 4, "docctl.tasks.new": 7 });
  expect(r.total).toBe(13);
  expect(r.delivered).toBe(10);
  expect(r.handlers.map((h) => [h.handler, h.lag, h.source])).toEqual([["new", 7, "stream"], ["pdf", 6, "consumer"]]);
});
