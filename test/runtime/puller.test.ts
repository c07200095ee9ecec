// The replacement pull protocol (core/runtime/nats/puller.ts) against a real nats-server: jobs fill
// requests in order; 404 (nothing waiting, no-wait), 408 (expired), 409 (cut short) end the oldest
// request and give back what it did not bring; 100 (idle heartbeat) ends nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { eventually } from "../helpers/eventually.ts";
import { Puller } from "../../core/runtime/nats/puller.ts";
import type { JobMsg } from "../../core/runtime/nats/job-msg.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let n = 0;

beforeAll(async () => {
  ({ ns, nc } = await setup());
  jsm = await jetstreamManager(nc);
});
afterAll(() => cleanup(ns, nc));

/** A fresh stream and consumer, and a puller on it that records what it is told. */
async function fresh(consumer: Record<string, unknown> = {}, expiresMs = 400) {
  const name = `P${++n}`;
  await jsm.streams.add({ name, subjects: [`p${n}.>`] });
  await jsm.consumers.add(name, { durable_name: "c", ack_policy: AckPolicy.Explicit, ...consumer });
  const got: JobMsg[] = [];
  const unfilled: number[] = [];
  const puller = new Puller(nc, { stream: name, consumer: "c", expiresMs, onMessage: (m) => got.push(m), onUnfilled: (k) => unfilled.push(k) });
  const publish = async (k: number) => {
    const js = jetstream(nc);
    for (let i = 0; i < k; i++) await js.publish(`p${n}.job`, new TextEncoder().encode(`job-${i}`));
  };
  return { name, puller, got, unfilled, publish };
}

test("jobs waiting fill a request; a filled request ends without giving anything back", async () => {
  const p = await fresh();
  await p.publish(3);
  p.puller.pull(3);
  await eventually(async () => p.got.length === 3, 10_000, "three jobs");
  expect(p.puller.outstanding).toBe(0);
  await p.puller.idle();
  expect(p.unfilled).toEqual([]);
  expect(p.got.map((m) => new TextDecoder().decode(m.data))).toEqual(["job-0", "job-1", "job-2"]);
  for (const m of p.got) m.ack();
  await p.puller.stop();
});

test("404: a no-wait request with nothing waiting ends at once and gives back all it asked for", async () => {
  const p = await fresh();
  p.puller.pull(4, { noWait: true });
  await eventually(async () => p.unfilled.length === 1, 10_000, "the 404");
  expect(p.unfilled).toEqual([4]);
  expect(p.puller.outstanding).toBe(0);
  await p.puller.stop();
});

test("408: a request that expires gives back what it did not bring (here 2 of 3)", async () => {
  const p = await fresh({}, 300);
  await p.publish(1);
  p.puller.pull(3);
  await eventually(async () => p.unfilled.length === 1, 10_000, "the 408");
  expect(p.got).toHaveLength(1);
  expect(p.unfilled).toEqual([2]);
  expect(p.puller.outstanding).toBe(0);
  p.got[0]!.ack();
  await p.puller.stop();
});

test("409: a request the server cuts short (over the consumer's max_batch) gives back its jobs", async () => {
  const p = await fresh({ max_batch: 1 });
  p.puller.pull(5);
  await eventually(async () => p.unfilled.length === 1, 10_000, "the 409");
  expect(p.unfilled).toEqual([5]);
  expect(p.got).toEqual([]);
  await p.puller.stop();
});

test("409: deleting the consumer ends the requests waiting on it", async () => {
  const p = await fresh({}, 30_000);
  p.puller.pull(2);
  p.puller.pull(1);
  await Bun.sleep(100); // both requests at the server
  await jsm.consumers.delete(p.name, "c");
  await eventually(async () => p.unfilled.length === 2, 10_000, "both requests ended");
  expect(p.unfilled.sort()).toEqual([1, 2]);
  expect(p.puller.outstanding).toBe(0);
  await p.puller.stop();
});

test("100: an idle heartbeat on the inbox ends no request; requests end in the order they were made", async () => {
  const p = await fresh({}, 800);
  p.puller.pull(1);
  p.puller.pull(2);
  nc.publish(p.puller.inbox, new Uint8Array(0), { headers: headers(100, "Idle Heartbeat") });
  await nc.flush();
  await Bun.sleep(100);
  expect(p.unfilled).toEqual([]);
  expect(p.puller.outstanding).toBe(3);
  await p.publish(2);
  await eventually(async () => p.got.length === 2, 10_000, "two jobs");
  // the first request (1 job) is filled; the second got the other and expires with 1 missing
  await eventually(async () => p.unfilled.length === 1, 10_000, "the second request's 408");
  expect(p.unfilled).toEqual([1]);
  for (const m of p.got) m.ack();
  await p.puller.stop();
});

test("a message on the inbox that is not a delivery is ignored", async () => {
  const p = await fresh({}, 300);
  p.puller.pull(1);
  nc.publish(p.puller.inbox, new TextEncoder().encode("hello"));
  await eventually(async () => p.unfilled.length === 1, 10_000, "the 408");
  expect(p.got).toEqual([]);
  expect(p.unfilled).toEqual([1]);
  await p.puller.stop();
});
