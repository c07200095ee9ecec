// The console's history in a real nats-server: two writers of the same interval (two procs, or a
// proc and the manager) leave one queue sample per handler and each their own work sample; a reader
// that starts later (a reloaded page, a restarted worker) sees them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { HistoryReader, HistoryWriter, STREAM_HISTORY, type WorkTally } from "../../core/runtime/http/history.ts";
import { ensureHandlers } from "../../core/runtime/nats/topology.ts";
import { setup, cleanup, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ({ ns, nc } = await setup());
  await ensureHandlers(nc, ["echo"]);
});
afterAll(() => cleanup(ns, nc));

test("two writers of one interval: one queue sample, both work samples, read back by a new reader", async () => {
  const tally = (done: number): Map<string, WorkTally> => new Map([["echo", { done, failed: 1, codes: { BOOM: 1 }, wait_ms: 100 * done, waits: done }]]);
  const a = new HistoryWriter({ nc, handlers: () => ["echo"], writer: "w1.1", take: () => tally(3) });
  const b = new HistoryWriter({ nc, handlers: () => ["echo"], writer: "w2.2", take: () => tally(5) });
  const t = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);
  await a.tick(t);
  await b.tick(t);
  await a.tick(t); // the same writer again (a retry): no double count
  const si = await (await jetstreamManager(nc)).streams.info(STREAM_HISTORY, { subjects_filter: "docctl.history.>" });
  expect(si.state.subjects).toEqual({ "docctl.history.q.echo": 1, "docctl.history.w.echo": 2 });
  expect(si.config.max_age).toBeGreaterThanOrEqual(24 * 3_600_000 * 1e6);
  const series = await new HistoryReader(() => nc, 10 * 365 * 24 * 3_600_000).read(t + 60_000);
  expect(series.echo).toEqual([{ t, lag: 0, oldest_age_s: 0, throughput: 10, failed: 2, wait_s: 0.1 }]);
});
