// The migration of DOCCTL_DELAYED (docctl before 2.14) into server-side schedules, against a real server:
// a job it cannot read is never lost (the stream stays, to be migrated again), and a readable one moves.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { migrateDelayedStream } from "../../core/runtime/nats/delayed-migration.ts";
import { ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { encodeJob } from "../../core/runtime/protocol/codec.ts";
import { ALL_DELAYED, STREAM_DELAYED, STREAM_TASKS } from "../../core/runtime/protocol/subjects.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
let admin: NatsConnection;
// "mover" may do everything but read messages of DOCCTL_DELAYED: each read fails for real (a
// permissions violation from the server), as a timeout or a lost leader would
const config = `accounts { A { jetstream: enabled, users: [
  { user: admin, password: admin-pw },
  { user: mover, password: mover-pw, permissions: { publish: { allow: [">"], deny: ["$JS.API.STREAM.MSG.GET.${STREAM_DELAYED}"] } } }
] } }`;

beforeAll(async () => {
  ns = await startNatsServer({ config });
  admin = await connect({ servers: ns.url, user: "admin", pass: "admin-pw" });
  const jsm = await jetstreamManager(admin);
  await ensureStreams(jsm, topologyDefaults);
  await jsm.streams.add({ name: STREAM_DELAYED, subjects: [ALL_DELAYED], retention: RetentionPolicy.Workqueue });
  const job = { v: 1 as const, id: "later-1", batch: "later-1", handler: "echo", payload: { n: 1 }, submitted_at: Date.now(), run_at: Date.now() + 3_600_000 };
  await jsm.jetstream().publish(ALL_DELAYED.replace(">", job.id), encodeJob(job));
});
afterAll(async () => {
  await admin?.close();
  await ns?.cleanup();
});

test("a delayed job the migration cannot read stays in DOCCTL_DELAYED; once readable, it moves and the stream goes", async () => {
  const mover = await connect({ servers: ns.url, user: "mover", pass: "mover-pw", timeout: 5000 });
  try {
    const jsm = await jetstreamManager(mover, { timeout: 2000 });
    await expect(migrateDelayedStream(jsm)).rejects.toThrow();
  } finally {
    await mover.close();
  }
  const jsm = await jetstreamManager(admin);
  expect((await jsm.streams.info(STREAM_DELAYED)).state.messages).toBe(1); // not deleted with the job in it
  expect(await migrateDelayedStream(jsm)).toBe(1);
  await expect(jsm.streams.info(STREAM_DELAYED)).rejects.toThrow();
  expect((await jsm.streams.info(STREAM_TASKS)).state.messages).toBe(1); // the job, as an @at schedule
});
