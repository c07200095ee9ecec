// deleteIfThere against a real server: deleted, not there (taken meanwhile), and a real failure thrown.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { deleteIfThere } from "../../core/runtime/nats/delete-message.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
beforeAll(async () => {
  ({ ns, nc } = await setup());
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "DEL_TEST", subjects: ["del.>"] });
});
afterAll(async () => {
  await cleanup(ns, nc);
});

test("a message is deleted once; deleted again, or never there, is false", async () => {
  const { seq } = await jsm.jetstream().publish("del.a", "x");
  expect(await deleteIfThere(jsm, "DEL_TEST", seq)).toBe(true);
  expect(await deleteIfThere(jsm, "DEL_TEST", seq)).toBe(false); // taken meanwhile
  expect(await deleteIfThere(jsm, "DEL_TEST", seq + 100)).toBe(false); // past the end
});

test("a failure is thrown, not taken for 'not there'", async () => {
  const { seq } = await jsm.jetstream().publish("del.b", "y");
  const other = await connectNats({ url: ns.url });
  const jsm2 = await jetstreamManager(other);
  await other.close();
  await expect(deleteIfThere(jsm2, "DEL_TEST", seq)).rejects.toThrow();
  expect((await jsm.streams.getMessage("DEL_TEST", { seq }))?.seq).toBe(seq); // still there
});
