// The PubAck inbox publisher against a real nats-server: acks, duplicates, JetStream errors, no stream,
// a timeout, and every waiting publish failed when it is closed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, errors, type NatsConnection } from "@nats-io/transport-node";
import { JetStreamApiError, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { JetStreamPublisher } from "../../core/runtime/nats/publisher.ts";
import { isTransientNatsError } from "../../core/runtime/nats/errors.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "PUBT", subjects: ["pubt.>"], max_msg_size: 64 });
});
afterAll(async () => {
  await nc?.close();
  await ns?.cleanup();
});

test("publishes resolve with their PubAck; a repeated message id is a duplicate", async () => {
  const pub = new JetStreamPublisher(nc);
  const acks = await Promise.all(Array.from({ length: 50 }, (_, i) => pub.publish(`pubt.${i}`, new Uint8Array([i]), { msgID: `m-${i}` })));
  expect(acks.map((a) => a.stream)).toEqual(Array(50).fill("PUBT"));
  expect(new Set(acks.map((a) => a.seq)).size).toBe(50);
  const again = await pub.publish("pubt.0", new Uint8Array([0]), { msgID: "m-0" });
  expect(again.duplicate).toBe(true);
  expect(again.seq).toBe(acks[0]!.seq);
  expect(pub.pending).toBe(0);
  pub.close();
});

test("a subject no stream stores is a transient no-responders error; a refusal is a JetStreamApiError", async () => {
  const pub = new JetStreamPublisher(nc);
  const none = await pub.publish("nostream.x", new Uint8Array(1)).catch((e) => e);
  expect(none).toBeInstanceOf(errors.NoRespondersError);
  expect(isTransientNatsError(none)).toBe(true);
  const big = await pub.publish("pubt.big", new Uint8Array(200)).catch((e) => e);
  expect(big).toBeInstanceOf(JetStreamApiError);
  expect(isTransientNatsError(big)).toBe(false);
  pub.close();
});

test("no PubAck in time is a TimeoutError; close() fails what still waits", async () => {
  // a subscriber that never answers stands in for a server that does not reply
  const silent = nc.subscribe("silent.>", { callback: () => {} });
  const pub = new JetStreamPublisher(nc, { timeoutMs: 300 });
  const late = await pub.publish("silent.a", new Uint8Array(1)).catch((e) => e);
  expect(late).toBeInstanceOf(errors.TimeoutError);
  expect(isTransientNatsError(late)).toBe(true);
  const waiting = pub.publish("silent.b", new Uint8Array(1)).catch((e) => e);
  pub.close();
  expect(await waiting).toBeInstanceOf(errors.ClosedConnectionError);
  silent.unsubscribe();
});

test("headers arrive as given (the stored message has them); a value with a line break is refused before anything is sent", async () => {
  const pub = new JetStreamPublisher(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "PUBH", subjects: ["pubh.>"], allow_atomic: true } as Parameters<typeof jsm.streams.add>[0]);
  const ack = await pub.publish("pubh.h", new Uint8Array([1]), { msgID: "h-1", firstOnSubject: true, headers: { "X-Docctl-Test": "a b" } });
  const m = await jsm.streams.getMessage("PUBH", { seq: ack.seq });
  expect(m!.header.get("Nats-Msg-Id")).toBe("h-1");
  expect(m!.header.get("Nats-Expected-Last-Subject-Sequence")).toBe("0");
  expect(m!.header.get("X-Docctl-Test")).toBe("a b");
  // the expected-sequence header was applied by the server: a second first-on-subject publish is refused
  await expect(pub.publish("pubh.h", new Uint8Array([2]), { firstOnSubject: true })).rejects.toBeInstanceOf(JetStreamApiError);
  await expect(pub.publish("pubh.h2", new Uint8Array([1]), { headers: { "X-Docctl-Test": "a\r\nNats-Msg-Id: forged" } })).rejects.toThrow(/line break/);
  expect(pub.pending).toBe(0);
  // an atomic batch's headers too: the batch is stored whole, each message with its own id
  const commit = await pub.publishAtomic([1, 2, 3].map((i) => ({ subject: `pubh.a${i}`, data: new Uint8Array([i]), msgID: `a-${i}` })));
  for (const [k, seq] of [commit.seq - 2, commit.seq - 1, commit.seq].entries()) {
    expect((await jsm.streams.getMessage("PUBH", { seq }))!.header.get("Nats-Msg-Id")).toBe(`a-${k + 1}`);
  }
  pub.close();
});
