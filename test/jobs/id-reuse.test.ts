// A Client job id used again after the duplicate window is refused (it would silently run again);
// inside the window a re-submit returns the first run's result; { rerun: true } runs it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client, Worker, defineHandler, InputError } from "../../core/lib/index.ts";
import { setup, cleanup, type NatsServerHandle } from "../helpers/nats.ts";
import type { NatsConnection } from "@nats-io/transport-node";

let ns: NatsServerHandle;
let nc: NatsConnection;
let runs = 0;
const count = defineHandler<Record<string, never>, number>({ handle: () => ++runs });

beforeAll(async () => ({ ns, nc } = await setup()));
afterAll(() => cleanup(ns, nc));

test("a job id reused after the duplicate window is refused, naming the first job; rerun runs it", async () => {
  const worker = new Worker({ nats: ns.url, handlers: { count }, logger: {}, topology: { duplicateWindowMs: 1000 } });
  await worker.start();
  const client = new Client({ nats: ns.url, waitMs: 30_000 });
  try {
    expect((await client.submit("count", {}, { id: "again" })).value).toBe(1);
    // inside the window: the same job, not run again
    expect((await client.submit("count", {}, { id: "again" })).value).toBe(1);
    await Bun.sleep(1500);
    const err = await client.submit("count", {}, { id: "again" }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/job id "again" was used by a job submitted \S+ that is done; the duplicate window \(1 s\) has passed, so it would run again: pass \{ rerun: true \}/);
    expect(runs).toBe(1);
    await expect(client.enqueue("count", {}, { id: "again" })).rejects.toBeInstanceOf(InputError);
    await client.enqueue("count", {}, { id: "again", rerun: true });
    await Bun.sleep(10);
  } finally {
    await client.close();
    await worker.close();
  }
}, 60_000);
