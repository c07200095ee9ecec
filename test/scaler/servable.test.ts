// Jobs for a handler nobody registered and the manager's workers do not serve (a typo queued with
// `submit --create`) must not start servers that could never work them off; they are reported instead.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { Manager } from "../../core/scaler/manager.ts";
import { servableLag } from "../../core/scaler/servable.ts";
import type { LagReading } from "../../core/runtime/client/lag.ts";
import type { Provider } from "../../core/scaler/providers/types.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { captureLog, createTasksStream, fakeClock, publishJobs } from "./setup.ts";

const reading = (hs: [string, number, "consumer" | "stream"][]): LagReading => ({
  total: hs.reduce((a, [, l]) => a + l, 0),
  delivered: 0,
  streamExists: true,
  handlers: hs.map(([handler, lag, source]) => ({ handler, pending: lag, ackPending: 0, lag, delivered: 0, source })),
});

test("only lag the workers can work off counts: served handlers, and any handler with a consumer", () => {
  const r = servableLag(reading([["render", 3, "consumer"], ["reprot", 5, "stream"], ["legacy", 2, "consumer"], ["report", 4, "stream"], ["idle", 0, "stream"]]), ["render", "report"]);
  expect(r.reading.total).toBe(9);
  expect(r.reading.handlers.map((h) => h.handler)).toEqual(["render", "legacy", "report"]);
  expect(r.unserved.map((h) => h.handler)).toEqual(["reprot"]);
});

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connectNats({ url: ns.url });
  await createTasksStream(nc, ["render"]);
});
afterAll(async () => {
  await nc.close();
  await ns.cleanup();
});

test("the manager does not scale for jobs of an unserved, unregistered handler, and says so once", async () => {
  const log = captureLog();
  const created: number[] = [];
  const provider: Provider = { name: "test", list: async () => [], create: async (n) => (created.push(n), []), drainAndDelete: async () => {}, destroy: async () => {} };
  const clock = fakeClock();
  const m = new Manager({ nc, provider, log, now: clock.now }, { intervalMs: 100, leaseTtlMs: 2000, handlers: ["render"], policy: { min: 0, max: 3, jobsPerWorker: 2, idleMs: 60_000, cooldownMs: 60_000 } });
  await publishJobs(nc, 4, "reprot");
  await m.prepare(); // the ticks are driven here, on the fake clock
  try {
    for (let i = 0; i < 3; i++) {
      clock.advance(100);
      const r = await m.tick();
      expect(r.leader).toBe(true);
      expect(r.lag!.total).toBe(0); // 4 waiting for "reprot", none servable
      expect(r.created).toEqual([]);
    }
    expect(created).toEqual([]);
    const warned = log.lines.filter((l) => l.includes(`4 job(s) wait for handler "reprot", which the workers this manager starts do not serve`));
    expect(warned).toHaveLength(1); // once, not at every tick
    await publishJobs(nc, 4, "render");
    clock.advance(100);
    const r = await m.tick();
    expect(r.lag!.total).toBe(4);
    expect(created).toEqual([2]);
  } finally {
    await m.stop();
  }
});
