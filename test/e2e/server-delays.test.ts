// Delayed jobs live in the NATS server (`@at` message schedules on docctl.delay.<id>): they start on
// time after every docctl process and the server restarted meanwhile; `job`, `jobs` and `cancel` see
// them; submit's checks apply to them; jobs an older docctl left in DOCCTL_DELAYED are migrated once.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { encodeJob } from "../../core/runtime/protocol/codec.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, type Background } from "../helpers/cli.ts";
import { eventually } from "../helpers/eventually.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let worker: Background | undefined;
const env = () => ({ DOCCTL_NATS_URL: nats.url });

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir();
});
afterEach(async () => {
  await worker?.stop("SIGKILL");
  worker = undefined;
});
afterAll(async () => {
  await nats?.cleanup();
  dir?.cleanup();
});

const file = (name: string, job: unknown) => {
  const p = join(dir.path, `${name}.json`);
  writeFileSync(p, JSON.stringify(job));
  return p;
};
async function withNc<T>(f: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectNats({ url: nats.url });
  try {
    return await f(nc);
  } finally {
    await nc.close();
  }
}
const startWorker = async () => {
  worker = spawnDocctl(["worker", "--procs", "1", "-v"], { env: env() });
  await worker.waitFor(/pulling/, 30_000);
};
const result = async (id: string) => {
  const r = await docctl(["result", id, "--json"], { env: env() });
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
};

test("delayed jobs start on time after every docctl process and the server restarted", async () => {
  await startWorker(); // registers echo
  const sub = await docctl(["submit", "--no-wait", file("later", { handler: "echo", id: "later", delay: "12s", batch: [{ a: 1 }, { a: 2 }, { a: 3 }] })], { env: env() });
  expect(sub.code).toBe(0);
  const job = JSON.parse((await docctl(["job", "later-0", "--json"], { env: env() })).stdout);
  expect(job.state).toBe("scheduled");
  const runAt: number = job.run_at;
  expect(runAt).toBeGreaterThan(Date.now());
  // every docctl process stops, the server restarts: the jobs wait in the server's schedules
  await worker!.stop("SIGTERM");
  worker = undefined;
  await nats.restart();
  expect(JSON.parse((await docctl(["job", "later-1", "--json"], { env: env() })).stdout).state).toBe("scheduled");
  await startWorker();
  const results = await eventually(async () => {
    const rs = await Promise.all(["later-0", "later-1", "later-2"].map(result));
    return rs.every(Boolean) ? rs : undefined;
  }, 40_000, "the delayed jobs' results");
  for (const r of results) {
    expect(r.ok).toBe(true);
    // never early; on time within the server's second and a worker's pull
    expect(r.started_at).toBeGreaterThanOrEqual(runAt);
    expect(r.started_at - runAt).toBeLessThan(5_000);
  }
}, 120_000);

test("job, jobs and cancel see a delayed job; submit's checks apply to it", async () => {
  await startWorker();
  expect((await docctl(["submit", "--no-wait", file("far", { handler: "echo", id: "far", payload: {}, delay: "1h" })], { env: env() })).code).toBe(0);
  const listed = await docctl(["jobs", "--state", "scheduled", "--json"], { env: env() });
  expect(listed.stdout).toContain('"far"');
  const c = await docctl(["cancel", "far"], { env: env() });
  expect(c.code).toBe(0);
  expect((await result("far")).error.code).toBe("CANCELLED");
  // its schedule is gone from the server: nothing fires later
  expect(await withNc(async (nc) => (await (await jetstreamManager(nc)).streams.info("DOCCTL_TASKS", { subjects_filter: "docctl.delay.*" })).state.subjects?.["docctl.delay.far"])).toBeUndefined();
  // an unknown handler is refused for a delayed job as for any other (it would wait forever)
  const bad = await docctl(["submit", "--no-wait", file("typo", { handler: "ecoh", payload: {}, delay: "10s" })], { env: env() });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain(`unknown handler "ecoh"`);
}, 60_000);

test("delayed jobs an older docctl left in DOCCTL_DELAYED are migrated once; garbage there becomes a dead letter", async () => {
  const runAt = Date.now() + 4_000;
  await withNc(async (nc) => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "DOCCTL_DELAYED", subjects: ["docctl.delayed.>"], retention: RetentionPolicy.Workqueue });
    const js = jetstream(nc);
    await js.publish("docctl.delayed.old-1", encodeJob({ v: 1, id: "old-1", batch: "old-1", handler: "echo", payload: { old: true }, submitted_at: Date.now(), run_at: runAt }), { msgID: "old-1" });
    await js.publish("docctl.delayed.junk", new TextEncoder().encode("not msgpack"));
  });
  await startWorker();
  const r = await eventually(() => result("old-1"), 30_000, "the migrated job's result");
  expect(r.ok).toBe(true);
  expect(r.started_at).toBeGreaterThanOrEqual(Math.floor(runAt / 1000) * 1000);
  await withNc(async (nc) => {
    const jsm = await jetstreamManager(nc);
    expect(await jsm.streams.info("DOCCTL_DELAYED").then(() => "still there", () => "gone")).toBe("gone");
    const dead = await jsm.streams.info("DOCCTL_DEAD", { subjects_filter: "docctl.dead._delayed" });
    expect(dead.state.subjects?.["docctl.dead._delayed"]).toBe(1);
  });
}, 90_000);
