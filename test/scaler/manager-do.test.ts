// The manager against the fake DigitalOcean API and a real nats-server: scale up on lag, drain and
// delete after idle, never touch untagged droplets, a standby takes over, 429 and 5xx are survived.
// Each test drives tick() itself on a fake clock (the manager's and the provider's): what a tick did
// is read from its report, the snapshot and the fake API's requests, never after a sleep. Only what
// happens outside the manager (workers registering, background drains, the lease's TTL in the
// server) is waited for, with waitFor.
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { Manager, type ManagerOptions, type TickReport } from "../../core/scaler/manager.ts";
import { Lease } from "../../core/scaler/lease.ts";
import { DoClient } from "../../core/scaler/providers/do-api.ts";
import { DigitalOceanProvider, digitalOceanDefaults, WORKER_TAG, type DigitalOceanOptions } from "../../core/scaler/providers/digitalocean.ts";
import { listWorkers } from "../../core/runtime/client/fleet.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { startFakeDo, type FakeDo } from "../helpers/fake-do.ts";
import { startDropletWorkers, type DropletWorkers } from "./fixtures/droplet-workers.ts";
import { captureLog, createTasksStream, fakeClock, publishJobs, purgeJobs, waitFor } from "./setup.ts";

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
  // droplets are active at once: when they serve is up to their workers (fixtures/droplet-workers.ts)
  fake = startFakeDo({ activeAfterMs: 0 });
  workers = await startDropletWorkers(nc, () => fake);
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await workers.stop();
  await purgeJobs(nc);
  await fake.stop();
});

const WORKER_NATS = "nats://10.20.0.2:4222";
/** between two ticks: longer than every cool-down and idle period below, shorter than any boot timeout */
const TICK_MS = 1_000;

/** A manager on the fake API and its own fake clock, prepared (lease, streams) but not looping. */
async function makeManager(opts: Partial<ManagerOptions> = {}, provider: Partial<DigitalOceanOptions> = {}) {
  const log = captureLog();
  const clock = fakeClock();
  const abort = new AbortController();
  const client = new DoClient({ token: fake.token, baseUrl: fake.url, perPage: 2, backoff: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 }, signal: abort.signal });
  const p = new DigitalOceanProvider(
    client,
    nc,
    {
      ...digitalOceanDefaults,
      region: "nyc3",
      size: "s-1vcpu-2gb",
      sshKeys: ["4242", "ab:cd:ef"],
      tags: ["team-docs"],
      natsUrl: WORKER_NATS,
      bootTimeoutMs: 60_000,
      drain: { timeoutMs: 3000, pollMs: 50, requestTimeoutMs: 200 },
      ...provider,
    },
    log,
    clock.now,
  );
  const m = new Manager(
    { nc, provider: p, log, abort, now: clock.now },
    { intervalMs: TICK_MS, leaseTtlMs: 1500, policy: { min: 0, max: 4, jobsPerWorker: 10, idleMs: 600, cooldownMs: 300 }, ...opts },
  );
  managers.push(m);
  await m.prepare();
  /** one interval later, one tick */
  const tick = async (): Promise<TickReport> => {
    clock.advance(TICK_MS);
    return m.tick();
  };
  return { m, log, clock, tick };
}

const posts = () => fake.requests.filter((r) => r.method === "POST" && r.path === "/v2/droplets");
const deletes = () => fake.requests.filter((r) => r.method === "DELETE");

test("lag creates tagged droplets from the snapshot; no lag drains and deletes them after idle; others are untouched", async () => {
  const mine = fake.addDroplet({ name: "manager-host", tags: [] });
  const other = fake.addDroplet({ name: "db", tags: ["prod"] });
  const { m, log, tick } = await makeManager();
  const first = await tick();
  expect(first.leader).toBe(true);
  expect(first.decision?.delta).toBe(0); // no lag, min 0: nothing created
  expect(first.created).toEqual([]);
  expect(fake.tagged(WORKER_TAG).length).toBe(0);

  await publishJobs(nc, 25, "render"); // 25 / 10 → 3 droplets
  const up = await tick();
  expect(up.created).toHaveLength(3);
  expect(fake.tagged(WORKER_TAG).length).toBe(3);
  const create = posts()[0]!;
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

  // more lag on another handler: one more droplet, never more than max, however many ticks follow
  await publishJobs(nc, 30, "title");
  expect((await tick()).created).toHaveLength(1);
  for (let i = 0; i < 3; i++) expect((await tick()).created).toEqual([]);
  expect(fake.tagged(WORKER_TAG).length).toBe(4);
  expect(posts().length).toBe(2);
  expect(m.snapshot().decisions.up).toBe(2);

  // every droplet's worker registers (fixtures/droplet-workers.ts); one is busy with a job
  await waitFor("4 workers registered", async () => (await listWorkers(nc)).length === 4, 5000);
  expect((await tick()).servers?.ready).toBe(4);
  const alive = fake.tagged(WORKER_TAG)[0]!;
  workers.inFlight.set(`do-${alive.id}`, 1);
  await waitFor("the busy worker's presence", async () => (await listWorkers(nc)).some((w) => w.id === `do-${alive.id}` && w.in_flight === 1), 5000);

  // no lag: after the idle period (fake time) all four drain, the least busy first
  await purgeJobs(nc);
  const draining: string[] = [];
  for (let i = 0; i < 5 && draining.length < 4; i++) draining.push(...(await tick()).draining);
  expect(draining.sort()).toEqual(fake.tagged(WORKER_TAG).map((d) => String(d.id)).sort());
  await waitFor("all worker droplets deleted", () => fake.tagged(WORKER_TAG).length === 0, 8000);
  // each droplet was deleted only after its worker had been asked to drain and had gone quiet
  for (const d of deletes()) {
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
  const a = await makeManager({ id: "manager-a" });
  const b = await makeManager({ id: "manager-b" });
  expect((await a.tick()).leader).toBe(true);
  expect((await b.tick()).leader).toBe(false);
  expect(b.m.leader).toBe(false);
  expect(b.log.lines.some((l) => l.includes("standby") && l.includes("manager-a"))).toBe(true);

  await publishJobs(nc, 15);
  expect((await a.tick()).created).toHaveLength(2);
  // the standby's ticks do nothing: created once, not by both
  for (let i = 0; i < 3; i++) {
    const r = await b.tick();
    expect(r.leader).toBe(false);
    expect(r.created).toEqual([]);
  }
  expect(fake.tagged(WORKER_TAG).length).toBe(2);
  expect(posts().length).toBe(1);

  await a.m.stop(); // releases the lease: the standby's next tick takes it
  expect((await b.tick()).leader).toBe(true);
  expect(b.log.lines.some((l) => l.includes("manager-b is the leader"))).toBe(true);
  await publishJobs(nc, 20); // 35 → 4
  let created = 0;
  for (let i = 0; i < 3 && fake.tagged(WORKER_TAG).length < 4; i++) created += (await b.tick()).created.length;
  expect(created).toBe(2);
  expect(fake.tagged(WORKER_TAG).length).toBe(4);
});

test("a leader that dies without releasing the lease is replaced once the lease expires", async () => {
  // a dead leader: its lease written, never renewed, never released
  const dead = new Lease(nc, { id: "manager-dead", ttlMs: 800 });
  await dead.start();
  expect(await dead.tryAcquire()).toBe(true);
  await dead.stop({ release: false });
  const b = await makeManager({ id: "manager-heir", leaseTtlMs: 800 });
  expect((await b.tick()).leader).toBe(false);
  expect(b.log.lines.some((l) => l.includes("standby") && l.includes("manager-dead"))).toBe(true);
  // the server drops the key at the bucket's TTL; a tick after that takes it
  await waitFor("b to take over after the TTL", async () => (await b.tick()).leader, 5000);
});

test("rate limits (429) and bursts of 5xx are survived", async () => {
  const { log, tick } = await makeManager();
  await publishJobs(nc, 5);
  fake.rateLimitNext(2, 1);
  fake.failNext(4, 503);
  // the client retries within a call; a tick whose calls still fail is retried by the next tick
  const failures: string[] = [];
  for (let i = 0; i < 5 && fake.tagged(WORKER_TAG).length === 0; i++) await tick().catch((err) => failures.push((err as Error).message));
  expect(fake.tagged(WORKER_TAG).length).toBe(1);
  expect(fake.requests.some((r) => r.status === 429)).toBe(true);
  expect(fake.requests.some((r) => r.status === 503)).toBe(true);
  // and no droplet more for the same lag
  for (let i = 0; i < 3; i++) expect((await tick()).created).toEqual([]);
  expect(fake.tagged(WORKER_TAG).length).toBe(1);
  expect(log.lines.join("\n")).not.toContain(fake.token);
  expect(failures.join("\n")).not.toContain(fake.token);
});

test("droplets that never become active are deleted after the boot bound and reported", async () => {
  fake.activeAfterMs = Infinity;
  const { m, log, clock, tick } = await makeManager({}, { bootTimeoutMs: 2000 });
  await publishJobs(nc, 5);
  expect((await tick()).created).toHaveLength(1);
  // the droplet's age is the clock's time less its created_at (as the API says it, in real time)
  const createdAt = Date.parse(fake.tagged(WORKER_TAG)[0]!.created_at);
  clock.set(createdAt + 1500);
  expect((await m.tick()).destroyed).toEqual([]); // still booting
  clock.set(createdAt + 2500);
  const late = await m.tick(); // past the provider's boot bound
  expect(late.destroyed).toHaveLength(1);
  expect(deletes().map((r) => r.path)).toEqual([`/v2/droplets/${late.destroyed[0]}`]);
  expect(log.lines.some((l) => l.startsWith("error") && l.includes("never started"))).toBe(true);
});

test("droplets whose worker never registers are replaced after --boot-timeout, never above --max, and creating stops with a clear message", async () => {
  workers.enabled = false; // active droplets, no worker: a bad snapshot, NATS URL or credentials
  const { m, log, tick } = await makeManager({ bootTimeoutMs: 1500, maxBootFailures: 4, policy: { min: 0, max: 2, jobsPerWorker: 10, idleMs: 60_000, cooldownMs: 300 } });
  await publishJobs(nc, 50); // wants 5, max 2
  let most = 0;
  for (let i = 0; i < 12 && m.snapshot().halted === null; i++) {
    await tick();
    most = Math.max(most, fake.tagged(WORKER_TAG).length);
  }
  expect(m.snapshot().halted).not.toBeNull();
  // the 2 first droplets failed and were replaced by 2 more; 4 failures in a row stop it
  expect(deletes().length).toBeGreaterThanOrEqual(4);
  expect(most).toBe(2);
  const halted = m.snapshot().halted!;
  expect(halted).toContain("STOPPED CREATING SERVERS");
  expect(halted).toContain("--boot-timeout");
  expect(halted).toContain("nats://10.20.0.2:4222");
  expect(halted).toContain('image "worker"');
  expect(halted).toContain("credentials");
  expect(log.lines.some((l) => l.startsWith("error") && l.includes("STOPPED CREATING SERVERS"))).toBe(true);
  expect(log.lines.some((l) => l.includes("has not registered within --boot-timeout"))).toBe(true);
  // nothing more is created while halted (the failed ones still standing are deleted): three more
  // ticks that want servers count as "hold", none as "up"
  const before = posts().length;
  const { up, hold } = m.snapshot().decisions;
  for (let i = 0; i < 3; i++) {
    const r = await tick();
    expect(r.decision?.delta).toBeGreaterThan(0);
    expect(r.created).toEqual([]);
  }
  expect(fake.tagged(WORKER_TAG).length).toBe(0);
  expect(m.snapshot().decisions.up).toBe(up);
  expect(m.snapshot().decisions.hold).toBe(hold + 3);
  expect(posts().length).toBe(before);
  expect(m.snapshot().bootFailures).toBeGreaterThanOrEqual(4);
});

test("a refused create (422) pauses creation instead of retrying every tick, and tries again after the pause", async () => {
  const { log, clock, tick } = await makeManager({ createBackoff: { initialMs: 5000, maxMs: 20_000, factor: 2, jitter: 0 } }, { region: "mars1" });
  await publishJobs(nc, 5);
  await expect(tick()).rejects.toThrow(/Region is not available/);
  expect(log.lines.some((l) => l.startsWith("error") && l.includes("no new servers for 5s"))).toBe(true);
  // within the pause: ticks want a server and ask for none
  for (let i = 0; i < 3; i++) {
    const r = await tick();
    expect(r.decision?.delta).toBeGreaterThan(0);
    expect(r.created).toEqual([]);
  }
  expect(posts().length).toBe(1);
  expect(fake.tagged(WORKER_TAG).length).toBe(0);
  // after it: asked again (refused again, and the next pause is longer)
  clock.advance(5000);
  await expect(tick()).rejects.toThrow(/Region is not available/);
  expect(posts().length).toBe(2);
  expect(log.lines.some((l) => l.includes("no new servers for 10s (failure 2 in a row)"))).toBe(true);
});

test("dry run logs what it would do and changes nothing", async () => {
  const { m, log, tick } = await makeManager({ dryRun: true });
  await publishJobs(nc, 25);
  const r = await tick();
  expect(r.decision?.desired).toBe(3);
  expect(r.created).toEqual([]);
  expect(log.lines.some((l) => l.includes("dry run: would create 3"))).toBe(true);
  expect(fake.requests.filter((r) => r.method !== "GET").length).toBe(0);
  expect(m.snapshot().decisions.up).toBe(0);
});
