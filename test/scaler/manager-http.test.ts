// `docctl manager --http` as an operator runs it (the compiled binary, the DigitalOcean API faked on
// loopback, droplet workers as typed stand-ins): /metrics counts servers by state, /healthz follows
// NATS and the loop, the dashboard lists servers beside workers, and a foreign Host is refused.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { WORKER_TAG } from "../../core/scaler/providers/digitalocean.ts";
import { spawnDocctl, type Background } from "../helpers/cli.ts";
import { startFakeDo, type FakeDo } from "../helpers/fake-do.ts";
import { cleanup, freePort, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { parseMetrics, sample } from "../helpers/prometheus.ts";
import { startDropletWorkers, type DropletWorkers } from "./fixtures/droplet-workers.ts";
import { createTasksStream, publishJobs, waitFor } from "./setup.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let fake: FakeDo;
let workers: DropletWorkers;
let manager: Background;
let base: string;
let port: number;

beforeAll(async () => {
  ({ ns, nc } = await setup());
  await createTasksStream(nc, ["render"]);
  fake = startFakeDo({ activeAfterMs: 300 });
  workers = await startDropletWorkers(nc, () => fake);
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  manager = spawnDocctl(
    ["manager", "--nats", ns.url, "--provider", "digitalocean", "--do-api-url", fake.url, "--worker-nats", "nats://10.20.0.2:4222", "--interval", "200ms",
      "--max", "3", "--jobs-per-worker", "10", "--idle", "10m", "--boot-timeout", "20s", "--http", `127.0.0.1:${port}`, "-v"],
    { env: { DIGITALOCEAN_TOKEN: fake.token } },
  );
  await manager.waitFor(/serving \/metrics/);
});
afterAll(async () => {
  await manager?.stop();
  await workers?.stop();
  await fake?.stop();
  await cleanup(ns, nc);
});

const metrics = async () => parseMetrics(await (await fetch(`${base}/metrics`)).text());

test("/metrics: servers by state follow their workers' registration; desired vs actual; decisions", async () => {
  workers.enabled = false; // the droplets come up before their workers do
  await publishJobs(nc, 25); // 3 servers
  await waitFor("3 droplets", () => fake.tagged(WORKER_TAG).length === 3, 10_000);
  await waitFor("active in the cloud", () => fake.tagged(WORKER_TAG).every((d) => d.status === "active"), 10_000);
  // active at DigitalOcean, but no worker registered: booting, not capacity
  let m = await metrics();
  expect(sample(m, "docctl_manager_servers", { state: "booting" })?.value).toBe(3);
  expect(sample(m, "docctl_manager_servers", { state: "ready" })?.value).toBe(0);
  workers.enabled = true;
  m = (await waitFor("3 ready", async () => {
    const x = await metrics();
    return sample(x, "docctl_manager_servers", { state: "ready" })?.value === 3 ? x : undefined;
  }, 10_000))!;
  expect(sample(m, "docctl_manager_servers", { state: "failed" })?.value).toBe(0);
  expect(sample(m, "docctl_manager_servers", { state: "draining" })?.value).toBe(0);
  expect(sample(m, "docctl_manager_servers_desired")?.value).toBe(3);
  expect(sample(m, "docctl_manager_servers_actual")?.value).toBe(3);
  expect(sample(m, "docctl_manager_leader")?.value).toBe(1);
  expect(sample(m, "docctl_manager_decisions_total", { action: "up" })?.value).toBeGreaterThanOrEqual(1);
  expect(sample(m, "docctl_manager_decisions_total", { action: "hold" })?.value).toBeGreaterThanOrEqual(1);
  expect(sample(m, "docctl_manager_creating_halted")?.value).toBe(0);
  expect(m.get("docctl_manager_provider_errors_total")?.type).toBe("counter");
  // the cause is one fixed word (no numbers, no free text: one series, not one per tick)
  const info = m.get("docctl_manager_last_decision_info")!.metrics;
  expect(info).toHaveLength(1);
  expect(Object.keys(info[0]!.labels)).toEqual(["cause"]);
  expect(info[0]!.labels.cause).toMatch(/^(backlog|steady|surplus|cooldown|billing|idle|max-full)$/);
  expect(sample(m, "docctl_manager_servers_created_total")?.value).toBe(3);
  expect(m.get("docctl_manager_boot_duration_seconds")?.type).toBe("histogram");
  expect(m.get("docctl_manager_provider_request_duration_seconds")?.type).toBe("histogram");
  expect(sample(m, "docctl_manager_last_successful_tick_seconds")?.value).toBeGreaterThan(Date.now() / 1000 - 60);
});

test("/healthz is ok with NATS up and the loop ticking; the dashboard shows servers beside workers", async () => {
  const h = await fetch(`${base}/healthz`);
  expect(h.status).toBe(200);
  expect((await h.json()).detail).toMatchObject({ nats: "connected", leader: true, halted: null });
  const o = await (await fetch(`${base}/api/overview`)).json();
  expect(o.servers.length).toBe(3);
  expect(o.servers.every((s: { state: string }) => s.state === "ready")).toBe(true);
  expect(o.workers.map((w: { id: string }) => w.id)).toEqual(expect.arrayContaining(fake.tagged(WORKER_TAG).map((d) => `do-${d.id}`)));
  expect(o.manager).toMatchObject({ provider: "digitalocean", leader: true, desired: 3 });
  expect(await (await fetch(`${base}/`)).text()).toContain('id="servers"');
});

test("a foreign Host and a cross-site action are refused by the manager too", async () => {
  expect((await fetch(`${base}/metrics`, { headers: { host: `rebind.example:${port}` } })).status).toBe(421);
  const r = await fetch(`${base}/api/dead/retry`, { method: "POST", headers: { "content-type": "text/plain", origin: "https://evil.example" }, body: '{"all":true}' });
  expect(r.status).toBe(415);
});

const CHROMIUM = process.env.DOCCTL_CHROMIUM ?? "/usr/bin/chromium";
test.skipIf(!existsSync(CHROMIUM))("the manager's dashboard, in a browser, lists its servers beside the workers", async () => {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
  try {
    const page = await browser.newPage();
    await page.goto(base);
    await page.locator('[data-testid="server-row"][data-state="ready"]').nth(2).waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="server-row"]').count()).toBe(3);
    expect(await page.getByTestId("manager-line").textContent()).toContain("digitalocean · leading · wants 3");
    expect(await page.getByTestId("halted").isVisible()).toBe(false);
    const workers = await page.locator('[data-testid="worker-row"]').allTextContents();
    for (const d of fake.tagged(WORKER_TAG)) expect(workers.join("\n")).toContain(`do-${d.id}`);
  } finally {
    await browser.close();
  }
}, 60_000);
