// Two installs on one DigitalOcean account (one fake DO API, two nats-servers): each manager's fleet is
// derived from its own tasks stream, every droplet carries its fleet's tag, and neither manager ever
// lists, drains or deletes the other's droplets. A droplet deleted behind a manager's back is reported.
// And health tells the truth: a token the API refuses (401) on every tick turns /healthz 503 with the reason.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { join } from "node:path";
import { Manager } from "../../core/scaler/manager.ts";
import { DoClient } from "../../core/scaler/providers/do-api.ts";
import { DigitalOceanProvider, defaultFleetName, digitalOceanDefaults, fleetNameProblem, WORKER_TAG } from "../../core/scaler/providers/digitalocean.ts";
import { cleanup, freePort, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { startFakeDo, type FakeDo } from "../helpers/fake-do.ts";
import { spawnDocctl, eventually } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { parseMetrics } from "../helpers/prometheus.ts";
import { startDropletWorkers } from "./fixtures/droplet-workers.ts";
import { captureLog, createTasksStream, publishJobs, purgeJobs, waitFor } from "./setup.ts";

let a: { ns: NatsServerHandle; nc: NatsConnection };
let b: { ns: NatsServerHandle; nc: NatsConnection };
let fake: FakeDo;
beforeAll(async () => {
  a = await setup();
  b = await setup();
  await createTasksStream(a.nc, ["render"]);
  await Bun.sleep(5); // the two streams' creation times differ (they do between any two installs)
  await createTasksStream(b.nc, ["render"]);
  fake = startFakeDo({ activeAfterMs: 100 });
});
afterAll(async () => {
  await fake.stop();
  await cleanup(a.ns, a.nc);
  await cleanup(b.ns, b.nc);
});

function manager(nc: NatsConnection, id: string, bootTimeoutMs = 60_000, log = captureLog()) {
  const client = new DoClient({ token: fake.token, baseUrl: fake.url, perPage: 2, backoff: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 } });
  const provider = new DigitalOceanProvider(client, nc, { ...digitalOceanDefaults, natsUrl: "nats://10.20.0.2:4222", bootTimeoutMs: 60_000, drain: { timeoutMs: 2000, pollMs: 50, requestTimeoutMs: 200 } }, log);
  const m = new Manager({ nc, provider, log }, { id, intervalMs: 200, leaseTtlMs: 1500, bootTimeoutMs, policy: { min: 0, max: 3, jobsPerWorker: 10, idleMs: 600, cooldownMs: 300 } });
  return { m, provider, log };
}

test("fleet names: derived per install, checked as tags", () => {
  const x = defaultFleetName({ name: "DOCCTL_TASKS", created: "2026-12-07T19:00:00.000000001Z" });
  expect(x).toMatch(/^nats-[0-9a-f]{12}$/);
  expect(defaultFleetName({ name: "DOCCTL_TASKS", created: "2026-12-07T19:00:00.000000002Z" })).not.toBe(x);
  expect(fleetNameProblem("prod-eu")).toBeUndefined();
  expect(fleetNameProblem("has space")).toContain("a DigitalOcean tag");
});

test("two managers with different fleets on one account never touch each other's droplets", async () => {
  const workersA = await startDropletWorkers(a.nc, () => fake);
  const A = manager(a.nc, "manager-a");
  // B deletes servers whose worker does not register on its NATS within 1.5 s: A's, if it could see them
  const B = manager(b.nc, "manager-b", 1500);
  await A.m.start();
  await B.m.start();
  try {
    const fa = await A.provider.fleet();
    const fb = await B.provider.fleet();
    expect(fa).not.toBe(fb);
    // A has lag: its droplets boot and their workers register on A's NATS; B (idle, another NATS) looks on
    await publishJobs(a.nc, 25);
    await waitFor("A's 3 droplets ready", () => A.m.last?.servers?.ready === 3, 10_000, 50, A.log);
    const mine = fake.tagged(`docctl-fleet:${fa}`);
    expect(mine).toHaveLength(3);
    expect(mine.every((d) => d.tags.includes(WORKER_TAG))).toBe(true);
    const ticksB = B.m.snapshot().decisions.hold;
    await waitFor("B ticks", () => B.m.snapshot().decisions.hold >= ticksB + 10, 10_000);
    expect(fake.requests.filter((r) => r.method === "DELETE")).toEqual([]);
    expect(B.m.snapshot().servers).toEqual({ booting: 0, ready: 0, draining: 0, failed: 0 });
    expect(B.log.lines.filter((l) => /^info (deleting|draining) /.test(l))).toEqual([]);

    // B gets lag of its own: its droplets carry its fleet's tag (their workers never register on B's NATS)
    await publishJobs(b.nc, 5);
    await waitFor("B's droplet", () => fake.tagged(`docctl-fleet:${fb}`).length === 1, 10_000, 50, B.log);
    // A's lag is gone: A drains and deletes its own three, and only those
    await purgeJobs(a.nc);
    await waitFor("A's droplets deleted", () => fake.tagged(`docctl-fleet:${fa}`).length === 0, 15_000, 50, A.log);
    const deletedByA = A.log.lines.filter((l) => l.startsWith("info deleted droplet")).map((l) => l.match(/\((\d+)\)$/)![1]).map(Number);
    expect(deletedByA.sort()).toEqual(mine.map((d) => d.id).sort());
    expect(B.log.lines.filter((l) => l.startsWith("info deleted droplet")).every((l) => !mine.some((d) => l.includes(`(${d.id})`)))).toBe(true);
    await purgeJobs(b.nc);
    expect(A.log.lines.some((l) => l.includes("belong to other fleets"))).toBe(false); // B's came after A's first look

    // a droplet of A's deleted behind its back (by hand) is reported as such
    await publishJobs(a.nc, 5);
    await waitFor("A's new droplet ready", () => A.m.last?.servers?.ready === 1, 10_000, 50, A.log);
    const d = fake.tagged(`docctl-fleet:${fa}`)[0]!;
    fake.droplets.delete(d.id);
    await waitFor("reported", () => A.log.lines.some((l) => l.includes(`${d.name} (${d.id}, worker do-${d.id}) is gone and this manager did not remove it`)), 10_000, 50, A.log);
    expect(A.m.snapshot().lost).toBe(1);
  } finally {
    await A.m.stop();
    await B.m.stop();
    await workersA.stop();
    await purgeJobs(a.nc);
    await purgeJobs(b.nc);
  }
}, 90_000);

test("a token the API refuses (401) on every tick: /healthz 503 with the reason, servers unknown rather than 0", async () => {
  const dir = tempDir();
  const tokenFile = join(dir.path, "token");
  await Bun.write(tokenFile, "not-the-token\n");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawnDocctl(
    ["manager", "--provider", "digitalocean", "--nats", a.ns.url, "--do-api-url", fake.url, "--do-token-file", tokenFile, "--worker-nats", "nats://10.9.9.9:4222",
      "--interval", "300ms", "--unhealthy-after", "3", "--http", `127.0.0.1:${port}`, "--fleet", "health-test"],
    { env: { DIGITALOCEAN_TOKEN: "" } },
  );
  try {
    await proc.waitFor(/serving \/metrics/, 30_000);
    await publishJobs(a.nc, 12); // it would create servers if it could
    const body = await eventually(async () => {
      const res = await fetch(`${base}/healthz`);
      return res.status === 503 ? ((await res.json()) as { detail: { reason: string; failed_ticks: number; last_successful_tick: string | null } }) : undefined;
    }, 30_000, "/healthz 503 after 3 failed ticks");
    expect(body.detail.reason).toMatch(/ticks in a row failed: .*(401|authenticat|token)/i);
    expect(body.detail.failed_ticks).toBeGreaterThanOrEqual(3);
    expect(body.detail.last_successful_tick).toBeNull();
    const metrics = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    expect(metrics.get("docctl_manager_servers_actual")?.metrics ?? []).toEqual([]);
    const up = metrics.get("docctl_manager_decisions_total")?.metrics.find((s) => s.labels.action === "up");
    expect(up?.value ?? 0).toBe(0);
    expect(metrics.get("docctl_manager_provider_errors_total")?.metrics.some((s) => (s.value ?? 0) >= 3)).toBe(true);
  } finally {
    await proc.stop();
    await purgeJobs(a.nc);
    dir.cleanup();
  }
}, 90_000);
