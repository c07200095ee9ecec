// The dashboard's dead letters: the newest few read from the end of the stream, cached while it is unchanged.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { encodeDeadFitting, type DeadLetterV1 } from "../../core/runtime/protocol/codec.ts";
import { STREAM_DEAD } from "../../core/runtime/protocol/subjects.ts";
import { listDead, recentDead, type DeadCache } from "../../core/runtime/client/dead.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connectNats({ url: ns.url });
  await ensureStreams(await jetstreamManager(nc), topologyDefaults);
});
afterAll(async () => {
  await nc.close();
  await ns.cleanup();
});

const letter = (i: number): DeadLetterV1 => ({
  v: 1,
  job: { v: 1, id: `job-${i}`, batch: `job-${i}`, handler: "echo", payload: i, submitted_at: 0 },
  subject: "docctl.tasks.echo",
  error: { code: "BOOM", message: `failed ${i}`, retryable: false },
  attempts: 3,
  worker: "w",
  failed_at: i,
});

test("the newest dead letters come newest first, past deleted ones, and an unchanged stream is served from the cache", async () => {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  expect(await recentDead(nc, 5)).toEqual({ total: 0, entries: [] });
  for (let i = 0; i < 200; i++) await js.publish("docctl.dead.echo", encodeDeadFitting(letter(i), 1 << 20));
  const cache: DeadCache = {};
  const a = await recentDead(nc, 5, cache);
  expect(a.total).toBe(200);
  expect(a.entries.map((e) => e.dead.job!.id)).toEqual(["job-199", "job-198", "job-197", "job-196", "job-195"]);
  // the same stream: the same answer without reading it again
  expect(await recentDead(nc, 5, cache)).toBe(a);
  // retried letters leave holes at the end: the window widens past them
  for (const e of (await listDead(nc)).slice(-8, -1)) await jsm.streams.deleteMessage(STREAM_DEAD, e.seq);
  const b = await recentDead(nc, 5, cache);
  expect(b).not.toBe(a);
  expect(b.total).toBe(193);
  expect(b.entries.map((e) => e.dead.job!.id)).toEqual(["job-199", "job-191", "job-190", "job-189", "job-188"]);
});
