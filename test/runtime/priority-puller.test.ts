// The priority puller against a real server: while jobs fetched ahead wait for a slot, the higher
// priority's consumer is probed (a no-wait pull) before a lower job starts; a probe that finds nothing
// must not hold the waiting jobs. A long pull sent beside the probe did: the probe's end was read from
// the consumer having nothing outstanding, so every job fetched ahead waited for that long pull to expire.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { setup, cleanup, type NatsServerHandle } from "../helpers/nats.ts";
import { eventually } from "../helpers/eventually.ts";
import { ensureConsumer, ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { PriorityPuller } from "../../core/runtime/worker/priority-puller.ts";
import { STREAM_TASKS, prioritySubject } from "../../core/runtime/protocol/subjects.ts";
import { JetStreamPublisher } from "../../core/runtime/nats/publisher.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ({ ns, nc } = await setup());
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, topologyDefaults);
  await ensureConsumer(jsm, "pp", topologyDefaults);
});
afterAll(() => cleanup(ns, nc));

test("jobs fetched ahead are handed out one slot at a time while the probe of the high consumer finds nothing", async () => {
  const pub = new JetStreamPublisher(nc);
  await pub.publish(prioritySubject("pp", "high"), new TextEncoder().encode("h0"));
  for (let i = 0; i < 10; i++) await pub.publish(prioritySubject("pp", "normal"), new TextEncoder().encode(`n${i}`));
  pub.close();
  const got: string[] = [];
  // pull requests that last a minute: a job held behind one of them would wait that long
  const pp: PriorityPuller = new PriorityPuller(nc, {
    stream: STREAM_TASKS,
    handler: "pp",
    expiresMs: 60_000,
    heartbeatMs: 5_000,
    onMessage: (m) => {
      got.push(new TextDecoder().decode(m.data));
      m.ack();
      // one slot (concurrency 1): the next job is asked for when this one is done, with jobs fetched ahead
      pp.ahead = 4;
      setTimeout(() => pp.pull(1), 0);
    },
    onUnfilled: () => {},
  });
  try {
    pp.pull(1);
    await eventually(() => got.length === 11 || undefined, 20_000, "all 11 jobs handed out");
    expect(got[0]).toBe("h0"); // the high job first
    expect(got.slice(1)).toEqual(Array.from({ length: 10 }, (_, i) => `n${i}`));
  } finally {
    pp.runHeld();
    void pp.stop();
  }
});
