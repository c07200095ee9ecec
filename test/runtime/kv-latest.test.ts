// readKvLatest (nats/kv-latest.ts) on a real server: a pull that expires while entries are still to
// come is not "no more entries" — it reads on, or fails with a clear error, never a partial map.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { KvReadTimeoutError, readKvLatest } from "../../core/runtime/nats/kv-latest.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { startProxy, type TcpProxy } from "../helpers/proxy.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let proxy: TcpProxy;
let slow: NatsConnection;
const BUCKET = "KVLATEST";

beforeAll(async () => {
  ({ ns, nc } = await setup());
  const kv = await new Kvm(nc).create(BUCKET, { history: 1 });
  for (const k of ["w1", "w2", "w3"]) await kv.put(k, `{"id":"${k}"}`);
  await kv.put("gone", "x");
  await kv.delete("gone");
  // the reader's link is slow upwards: what it sends reaches the server 300 ms late
  proxy = await startProxy(ns.port);
  slow = await connectNats({ url: proxy.url });
  proxy.delayUp(300);
});

afterAll(async () => {
  await slow?.close().catch(() => {});
  proxy?.stop();
  await cleanup(ns, nc);
});

/**
 * Pause every consumer created on the bucket's stream as soon as the server says it exists, for
 * `ms`: the reader's first pulls come back empty (408) although every entry is still there, as from
 * a server too busy to deliver within the pull's expiry. The pause lands first: the reader's pull
 * travels the slow link, the pause does not.
 */
async function pauseReadersFor(ms: number): Promise<{ paused: () => number; stop: () => void }> {
  const jsm = await jetstreamManager(nc);
  let paused = 0;
  const sub = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.CREATED.KV_${BUCKET}.*`, {
    callback: (err, m) => {
      if (err) return;
      const name = m.subject.split(".").at(-1)!;
      void jsm.consumers.pause(`KV_${BUCKET}`, name, new Date(Date.now() + ms)).then(() => paused++);
    },
  });
  await nc.flush();
  return { paused: () => paused, stop: () => sub.unsubscribe() };
}

test("pulls that expire while entries remain: the read goes on and returns every live key", async () => {
  const p = await pauseReadersFor(2500);
  try {
    const m = await readKvLatest(slow, BUCKET);
    expect(p.paused()).toBe(1); // the reader's consumer really was held
    expect([...m.keys()].sort()).toEqual(["w1", "w2", "w3"]);
    expect(new TextDecoder().decode(m.get("w2"))).toBe('{"id":"w2"}');
  } finally {
    p.stop();
  }
});

test("entries not delivered within the bound: a KvReadTimeoutError naming the bucket, not a partial map", async () => {
  const p = await pauseReadersFor(20_000);
  try {
    const err = await readKvLatest(slow, BUCKET, 3000).then(
      (m) => new Error(`returned a map of ${m.size} entries`),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KvReadTimeoutError);
    expect((err as KvReadTimeoutError).message).toContain(`reading KV bucket ${BUCKET}: 4 of its latest values (entries or delete markers) still not delivered after 3000ms`);
    expect((err as KvReadTimeoutError).remaining).toBe(4); // w1..w3 and the delete marker of "gone"
  } finally {
    p.stop();
  }
});

test("without a pause, the latest value of every live key (deleted ones left out); a missing bucket is empty", async () => {
  expect([...(await readKvLatest(slow, BUCKET)).keys()].sort()).toEqual(["w1", "w2", "w3"]);
  expect((await readKvLatest(nc, "NO_SUCH_BUCKET")).size).toBe(0);
});
