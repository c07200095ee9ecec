// cancel against a job that a worker finished between cancel's look and its write: the job index still
// says "queued" (the worker updates it just after the result), the result is stored. cancel reports what
// the stored result says, never "already queued: nothing to cancel", and the result stands.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { cancelBatch, cancelJobs } from "../../core/runtime/client/cancel.ts";
import { ensureHandlers } from "../../core/runtime/nats/topology.ts";
import { JobIndexWriter } from "../../core/runtime/nats/job-index.ts";
import { publishCancelled } from "../../core/runtime/nats/cancelled.ts";
import { publishResultOnce } from "../../core/runtime/nats/result-once.ts";
import { encodeResult, decodeResult } from "../../core/runtime/protocol/codec.ts";
import { STREAM_RESULTS, resultSubject } from "../../core/runtime/protocol/subjects.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  ({ ns, nc } = await setup());
  await ensureHandlers(nc, ["race"]);
});

afterAll(async () => {
  await cleanup(ns, nc);
});

/** A job the index lists as queued whose result (ok, or CANCELLED by a worker that saw the marker) is already stored. */
async function finishedBehindTheIndex(id: string, batch: string, result: "ok" | "cancelled") {
  const w = new JobIndexWriter(nc);
  await w.added({ v: 1, id, batch, handler: "race", state: "queued", at: Date.now() });
  w.close();
  if (result === "cancelled") return publishCancelled(nc, { id, batch, handler: "race" }, "w1", "its batch was cancelled");
  const now = Date.now();
  return publishResultOnce(jetstream(nc), resultSubject(batch, id), encodeResult({ v: 1, id, batch, handler: "race", ok: true, value: 7, attempts: 1, worker: "w1", started_at: now, finished_at: now }));
}

const stored = async (batch: string, id: string) =>
  decodeResult((await (await jetstreamManager(nc)).streams.getMessage(STREAM_RESULTS, { last_by_subj: resultSubject(batch, id) }))!.data);

test("a job that finished ok behind the index: 'finished' and was 'done', its result stands", async () => {
  expect(await finishedBehindTheIndex("r-ok", "r-ok", "ok")).toBe("stored");
  expect(await cancelJobs(nc, ["r-ok"])).toEqual([{ id: "r-ok", was: "done", outcome: "finished" }]);
  expect(await stored("r-ok", "r-ok")).toMatchObject({ ok: true, value: 7 });
});

test("a batch item a worker already cancelled behind the index: 'cancelled', was 'queued'", async () => {
  expect(await finishedBehindTheIndex("rb-0", "rb", "cancelled")).toBe("stored");
  expect(await finishedBehindTheIndex("rb-1", "rb", "ok")).toBe("stored");
  const out = await cancelBatch(nc, "rb");
  expect(out).toContainEqual({ id: "rb-0", was: "queued", outcome: "cancelled" });
  expect(out).toContainEqual({ id: "rb-1", was: "done", outcome: "finished" });
});
