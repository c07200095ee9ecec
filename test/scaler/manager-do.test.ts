// The manager against the fake DigitalOcean API and a real nats-server: scale up on lag, drain and
// delete after idle, never touch untagged droplets, a standby takes over, 429 and 5xx are survived.
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { Manager, type ManagerOptions } from "../../core/scaler/manager.ts";
import { DoClient } from "../../core/scaler/providers/do-api.ts";
import { DigitalOceanProvider, digitalOceanDefaults, WORKER_TAG } from "../../core/scaler/providers/digitalocean.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { startFakeDo, type FakeDo } from "../helpers/fake-do.ts";
import type { ControlReplyV1, PresenceV1 } from "../../core/runtime/protocol/control.ts";
import { startDropletWorkers, type DropletWorkers } from "./fixtures/droplet-workers.ts";
import { captureLog, createTasksStream, publishJobs, purgeJobs, waitFor } from "./setup.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let fake: FakeDo;
const managers: Manager[] = [];

beforeAll(async () => {
  ({ ns, nc } = await setup());
  await createTasksStream(nc, ["render", "title"]);
});
afterAll(async () => {
  await cleanup(ns, nc);
});
let workers: DropletWorkers;
beforeEach(async () => {
  fake = startFakeDo({ activeAfterMs: 200 });
  workers = await startDropletWorkers(nc, () => fake);
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await workers.stop();
  await purgeJobs(nc);
  await fake.stop();
});

/** A droplet worker's presence as a real worker writes it (typed from the wire type). */
function standInPresence(id: string, state: string, inFlight: number): PresenceV1 {
  return { v: 1, id, host: "h", pid: 1, version: "0", started_at: 0, updated_at: Date.now(), state, in_flight: inFlight, procs: [], labels: {} } satisfies PresenceV1;
}

const WORKER_NATS = "nats://10.20.0.2:4222";

function makeManager(log = captureLog(), opts: Partial<ManagerOptions> = {}) {
  const abort = new AbortController();
  const client = new DoClient({ token: fake.token, baseUrl: fake.url, perPage: 2, backoff: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 }, signal: abort.signal });
  const provider = new DigitalOceanProvider(
    client,
    nc,
    {
      ...digitalOceanDefaults,
      region: "nyc3",
      size: "s-1vcpu-2gb",
      sshKeys: ["4242", "ab:cd:ef"],
      tags: ["team-docs"],
      natsUrl: WORKER_NATS,
      bootTimeoutMs: 5000,
      drain: { timeoutMs: 3000, pollMs: 50, requestTimeoutMs: 200 },
    },
    log,
  );
  const m = new Manager(
    { nc, provider, log, abort },
    { intervalMs: 200, leaseTtlMs: 1500, policy: { min: 0, max: 4, jobsPerWorker: 10, idleMs: 600, cooldownMs: 300 }, ...opts },
  );
  managers.push(m);
  return { m, log };
}

test("lag creates tagged droplets from the snapshot; no lag drains and deletes them after idle; others are untouched", async () => {
  const mine = fake.addDroplet({ name: "manager-host", tags: [] });
  const other = fake.addDroplet({ name: "db", tags: ["prod"] });
  const { m, log } = makeManager();
  await m.start();
  await waitFor("manager to lead", () => m.leader);
  await Bun.sleep(300);
  expect(fake.tagged(WORKER_TAG).length).toBe(0); // no lag, min 0: nothing created

  await publishJobs(nc, 25, "render"); // 25 / 10 → 3 droplets
  await waitFor("3 worker droplets", () => fake.tagged(WORKER_TAG).length === 3, 5000);
  const create = fake.requests.find((r) => r.method === "POST" && r.path === "/v2/droplets")!;
  expect(create.body.image).toBe(7555620);
  expect(create.body.region).toBe("nyc3");
  expect(create.body.size).toBe("s-1vcpu-2gb");
  expect(create.body.ssh_keys).toEqual([4242, "ab:cd:ef"]);
  expect(create.body.tags).toHaveLength(3);
  expect(create.body.tags[0]).toBe(WORKER_TAG);
  expect(create.body.tags[1]).toMatch(/^docctl-fleet:nats-[0-9a-f]{12}$/); // derived from this NATS's tasks stream
  expect(create.body.tags[2]).toBe("team-docs");
  expect(create.body.user_data).toStartWith("#cloud-config");
  expect(create.body.user_data).toContain(`DOCCTL_NATS_URL=${WORKER_NATS}`);
  expect(create.body.user_data).toContain("docctl worker --name-from digitalocean");
  expect(create.body.user_data).not.toContain("curl");

  // more lag on another handler: one more droplet, never more than max
  await publishJobs(nc, 30, "title");
  await waitFor("4 droplets (max)", () => fake.tagged(WORKER_TAG).length === 4, 5000);
  await Bun.sleep(600);
  expect(fake.tagged(WORKER_TAG).length).toBe(4);
  const posts = fake.requests.filter((r) => r.method === "POST");
  if (posts.length !== 2) console.error(posts.map((p) => JSON.stringify(p.body.names)), log.lines.filter((l) => l.includes("→")).join("\n"));
  expect(posts.length).toBe(2);

  // every droplet's worker registered (fixtures/droplet-workers.ts); one is busy with a job
  await waitFor("4 workers registered", () => m.last?.servers?.ready === 4, 5000);
  const alive = fake.tagged(WORKER_TAG)[0]!;
  workers.inFlight.set(`do-${alive.id}`, 1);

  await purgeJobs(nc);
  await waitFor("all worker droplets deleted", () => fake.tagged(WORKER_TAG).length === 0, 8000);
  // each droplet was deleted only after its worker had been asked to drain and had gone quiet
  for (const d of fake.requests.filter((r) => r.method === "DELETE")) {
    const drained = workers.events.find((e) => e.verb === "drain" && `/v2/droplets/${e.worker.slice(3)}` === d.path);
    expect(drained).toBeDefined();
    expect(d.at).toBeGreaterThanOrEqual(drained!.at + 250);
  }
  // the busy one went last: scale-in drains the least busy first
  const order = workers.events.filter((e) => e.verb === "drain").map((e) => e.worker);
  expect(order.at(-1)).toBe(`do-${alive.id}`);
  expect(fake.droplets.has(mine.id)).toBe(true);
  expect(fake.droplets.has(other.id)).toBe(true);
  // no request ever addressed the untagged droplets
  expect(fake.requests.some((r) => r.path.endsWith(`/${mine.id}`) || r.path.endsWith(`/${other.id}`))).toBe(false);
  // the token never reaches the logs
  expect(log.lines.join("\n")).not.toContain(fake.token);
  expect(log.lines.some((l) => l.includes("draining"))).toBe(true);
});

test("a second manager stands by and takes over when the first stops", async () => {
  const a = makeManager(captureLog(), { id: "manager-a" });
  const b = makeManager(captureLog(), { id: "manager-b" });
  await a.m.start();
  await waitFor("a to lead", () => a.m.leader);
  await b.m.start();
  await Bun.sleep(400);
  expect(b.m.leader).toBe(false);
  expect(b.log.lines.some((l) => l.includes("standby") && l.includes("manager-a"))).toBe(true);

  await publishJobs(nc, 15);
  await waitFor("2 droplets", () => fake.tagged(WORKER_TAG).length === 2, 5000);
  await Bun.sleep(500);
  expect(fake.tagged(WORKER_TAG).length).toBe(2); // created once, not by both

  await a.m.stop();
  await waitFor("b to take over", () => b.m.leader, 5000);
  await publishJobs(nc, 20); // 35 → 4
  await waitFor("b scales to 4", () => fake.tagged(WORKER_TAG).length === 4, 5000);
});

test("a leader that dies without releasing the lease is replaced once the lease expires", async () => {
  const a = makeManager(captureLog(), { id: "manager-dead", leaseTtlMs: 800 });
  await a.m.start();
  await waitFor("a to lead", () => a.m.leader);
  // simulate a crash: stop everything but leave the lease in the bucket
  await (a.m as any).lease.stop({ release: false });
  (a.m as any).lease = null;
  (a.m as any).stopped = true;
  const b = makeManager(captureLog(), { id: "manager-heir", leaseTtlMs: 800 });
  await b.m.start();
  expect(b.m.leader).toBe(false);
  await waitFor("b to take over after the TTL", () => b.m.leader, 5000);
});

test("rate limits (429) and bursts of 5xx are survived", async () => {
  const { m, log } = makeManager();
  await publishJobs(nc, 5);
  fake.rateLimitNext(2, 1);
  await m.start();
  await Bun.sleep(100);
  fake.failNext(4, 503);
  await waitFor("a droplet despite 429 and 503", () => fake.tagged(WORKER_TAG).length === 1, 10_000);
  expect(fake.requests.some((r) => r.status === 429)).toBe(true);
  expect(fake.requests.some((r) => r.status === 503)).toBe(true);
  await Bun.sleep(500);
  expect(fake.tagged(WORKER_TAG).length).toBe(1);
  expect(log.lines.join("\n")).not.toContain(fake.token);
});

test("droplets that never become active are deleted after the boot bound and reported", async () => {
  fake.activeAfterMs = Infinity;
  const { m, log } = makeManager();
  (m as any).deps.provider.opts.bootTimeoutMs = 400;
  await publishJobs(nc, 5);
  await m.start();
  await waitFor("a stuck droplet deleted", () => fake.requests.some((r) => r.method === "DELETE"), 5000);
  expect(log.lines.some((l) => l.startsWith("error") && l.includes("never started"))).toBe(true);
});

test("droplets whose worker never registers are replaced after --boot-timeout, never above --max, and creating stops with a clear message", async () => {
  workers.enabled = false; // active droplets, no worker: a bad snapshot, NATS URL or credentials
  const { m, log } = makeManager(captureLog(), { bootTimeoutMs: 500, maxBootFailures: 4, policy: { min: 0, max: 2, jobsPerWorker: 10, idleMs: 60_000, cooldownMs: 60_000 } });
  await publishJobs(nc, 50); // wants 5, max 2
  let most = 0;
  const watch = setInterval(() => (most = Math.max(most, fake.tagged(WORKER_TAG).length)), 10);
  await m.start();
  try {
    await waitFor("creating halted", () => m.snapshot().halted !== null, 10_000, 50, log);
    const posts = () => fake.requests.filter((r) => r.method === "POST" && r.path === "/v2/droplets").length;
    // the 2 first droplets failed and were replaced by 2 more; 4 failures in a row stop it
    expect(fake.requests.filter((r) => r.method === "DELETE").length).toBeGreaterThanOrEqual(4);
    expect(most).toBeLessThanOrEqual(2);
    const halted = m.snapshot().halted!;
    expect(halted).toContain("STOPPED CREATING SERVERS");
    expect(halted).toContain("--boot-timeout");
    expect(halted).toContain("nats://10.20.0.2:4222");
    expect(halted).toContain('image "worker"');
    expect(halted).toContain("credentials");
    expect(log.lines.some((l) => l.startsWith("error") && l.includes("STOPPED CREATING SERVERS"))).toBe(true);
    expect(log.lines.some((l) => l.includes("has not registered within --boot-timeout"))).toBe(true);
    // nothing more is created while halted (the failed ones still standing are deleted)
    const before = posts();
    await waitFor("the last failed droplets deleted", () => fake.tagged(WORKER_TAG).length === 0, 5000, 50, log);
    // three more ticks that wanted servers: none counts as an "up" (nothing was created), all as "hold"
    const ups = m.snapshot().decisions.up;
    const holds = m.snapshot().decisions.hold;
    await waitFor("more ticks", () => m.snapshot().decisions.hold >= holds + 3, 5000);
    expect(m.snapshot().decisions.up).toBe(ups);
    expect(m.last?.decision?.delta).toBeGreaterThan(0);
    expect(posts()).toBe(before);
    expect(m.snapshot().bootFailures).toBeGreaterThanOrEqual(4);
  } finally {
    clearInterval(watch);
  }
});

test("a refused create (422) pauses creation instead of retrying every tick", async () => {
  const { m, log } = makeManager(captureLog(), { createBackoff: { initialMs: 1500, maxMs: 5000, factor: 2, jitter: 0 } });
  (m as any).deps.provider.opts.region = "mars1";
  await publishJobs(nc, 5);
  await m.start();
  await waitFor("the 422 logged", () => log.lines.some((l) => l.includes("Region is not available")), 3000);
  await Bun.sleep(800);
  expect(fake.requests.filter((r) => r.method === "POST").length).toBe(1);
  expect(fake.tagged(WORKER_TAG).length).toBe(0);
});

test("dry run logs what it would do and changes nothing", async () => {
  const { m, log } = makeManager(captureLog(), { dryRun: true });
  await publishJobs(nc, 25);
  await m.start();
  await waitFor("a dry-run line", () => log.lines.some((l) => l.includes("dry run: would create 3")), 3000);
  expect(fake.requests.filter((r) => r.method !== "GET").length).toBe(0);
});
