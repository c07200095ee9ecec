// One foreign or damaged presence entry or dead letter must not take down `docctl status`, `docctl dead`
// or the dashboard: they show the good ones and skip or patch the rest.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Kvm } from "@nats-io/kv";
import { jetstream } from "@nats-io/jetstream";
import { encode } from "@msgpack/msgpack";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { docctl, spawnDocctl, eventually, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let nc: NatsConnection;
let worker: Background;
let base: string;

beforeAll(async () => {
  nats = await startNatsServer();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  worker = spawnDocctl(["worker", "--procs", "1", "--name", "good-1", "--nats", nats.url, "--http", `127.0.0.1:${port}`, "-v"]);
  await worker.waitFor(/pulling/, 30_000);
  nc = await connectNats({ url: nats.url });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await nc?.close();
  await nats?.cleanup();
});

test("malformed presence entries and dead letters are skipped or patched by status, dead ls and the dashboard", async () => {
  const kv = await new Kvm(nc).open("DOCCTL_WORKERS");
  await kv.put("no-procs", JSON.stringify({ v: 1, id: "no-procs" }));
  await kv.put("odd-procs", JSON.stringify({ v: 1, id: "odd-procs", procs: [{ name: 5, in_flight: "x", last_exit: 3 }, null], labels: [1] }));
  await kv.put("junk", "not json at all");
  const js = jetstream(nc);
  await js.publish("docctl.dead.echo", encode({ v: 1, error: { code: 7 }, job: "not a job", subject: 9, attempts: "x" }));
  await js.publish("docctl.dead.echo", encode({ v: 1, error: "boom" }));
  await js.publish("docctl.dead.echo", encode([1, 2, 3]));

  const status = await docctl(["status", "--nats", nats.url]);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain("good-1");
  expect(status.stdout).toContain("odd-procs");
  expect(status.stdout).not.toContain("no-procs");
  const json = await docctl(["status", "--nats", nats.url, "--json"]);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout).workers.map((w: { id: string }) => w.id).sort()).toEqual(["good-1", "odd-procs"]);

  const dead = await docctl(["dead", "ls", "--nats", nats.url]);
  expect(dead.code).toBe(0);
  expect(dead.stderr).not.toContain("unexpected error");

  const o = await eventually(async () => {
    const res = await fetch(`${base}/api/overview`);
    return res.status === 200 ? ((await res.json()) as { workers: { id: string }[]; dead: unknown[] }) : undefined;
  }, 15_000, "the dashboard's overview");
  expect(o.workers.some((w) => w.id === "good-1")).toBe(true);
  expect(o.dead.length).toBeGreaterThanOrEqual(1);
}, 60_000);
