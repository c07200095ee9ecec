// drainWorker (client/fleet.ts) against a stand-in worker on a real server: a status request that times
// out (the worker busy or the machine loaded) is not "drained"; only a worker that has left its control
// subject is. Before, the first slow answer ended the drain and the scaler deleted a server mid-job.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { drainWorker, statusWhileDraining } from "../../core/runtime/client/fleet.ts";
import { controlSubject, type ControlReplyV1, type ControlVerb, type PresenceV1 } from "../../core/runtime/protocol/control.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  ({ ns, nc } = await setup());
});

afterAll(async () => {
  await cleanup(ns, nc);
});

const presence = (id: string, inFlight: number): PresenceV1 => ({
  v: 1, id, host: "test", pid: process.pid, version: "0", started_at: Date.now(), updated_at: Date.now(),
  state: "draining", in_flight: inFlight, procs: [], labels: {},
});

/** A worker that answers drain at once, then lets status requests go unanswered while `slow` is set, and leaves when told. */
async function standIn(id: string) {
  const own = await connectNats({ url: ns.url });
  const state = { slow: false, statusAsked: 0 };
  const sub: Subscription = own.subscribe(controlSubject(id, "*"), {
    callback: (_e, m) => {
      const verb = m.subject.split(".").pop()!;
      if (verb === "status") state.statusAsked++;
      if (verb === "status" && state.slow) return; // busy: the request times out
      m.respond(JSON.stringify({ ok: true, verb: verb as ControlVerb, worker: presence(id, 1) } satisfies ControlReplyV1));
    },
  });
  await own.flush();
  return { state, leave: async () => {
    // the flush returns once the server has processed the unsubscribe: a request sent after it finds no responders
    sub.unsubscribe();
    await own.flush();
    await own.close();
  } };
}

test("status polls that time out keep the drain waiting; it ends 'drained' only once the worker has left", async () => {
  const w = await standIn("slow-1");
  w.state.slow = true;
  let left = 0;
  // the worker stays busy for 5 polls' worth of time, then leaves
  const leaving = (async () => {
    for (let i = 0; i < 200 && w.state.statusAsked < 4; i++) await Bun.sleep(50);
    left = Date.now();
    await w.leave();
  })();
  const outcome = await drainWorker(nc, "slow-1", { timeoutMs: 60_000, pollMs: 100, requestTimeoutMs: 200 });
  await leaving;
  expect(outcome).toBe("drained");
  expect(left).toBeGreaterThan(0);
  expect(w.state.statusAsked).toBeGreaterThanOrEqual(4);
}, 60_000);

test("a worker that stays busy past the bound ends 'timeout', not 'drained'", async () => {
  const w = await standIn("slow-2");
  w.state.slow = true;
  try {
    expect(await drainWorker(nc, "slow-2", { timeoutMs: 1500, pollMs: 100, requestTimeoutMs: 200 })).toBe("timeout");
  } finally {
    await w.leave();
  }
}, 60_000);

test("statusWhileDraining tells the cases apart: an answer, slow, gone, and our own connection closed", async () => {
  const w = await standIn("probe-1");
  expect(await statusWhileDraining(nc, "probe-1", 1000)).toMatchObject({ id: "probe-1", in_flight: 1 });
  w.state.slow = true;
  expect(await statusWhileDraining(nc, "probe-1", 200)).toBe("slow");
  await w.leave();
  expect(await statusWhileDraining(nc, "probe-1", 1000)).toBe("gone");
  const closed = await connectNats({ url: ns.url });
  await closed.close();
  expect(await statusWhileDraining(closed, "probe-1", 200)).toBe("closed");
}, 60_000);
