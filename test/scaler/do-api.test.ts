// The DigitalOcean client and provider against the fake API: paging, errors, rate limits, images.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DoClient } from "../../core/scaler/providers/do-api.ts";
import { DigitalOceanProvider, digitalOceanDefaults, WORKER_TAG } from "../../core/scaler/providers/digitalocean.ts";
import { ProviderError } from "../../core/scaler/errors.ts";
import { startFakeDo, type FakeDo } from "../helpers/fake-do.ts";
import { captureLog } from "./setup.ts";
import type { NatsConnection } from "@nats-io/transport-node";

const fast = { initialMs: 10, maxMs: 50, factor: 2, jitter: 0 };
let fake: FakeDo;
beforeAll(() => {
  fake = startFakeDo();
});
afterAll(() => fake.stop());

const client = (o: Partial<ConstructorParameters<typeof DoClient>[0]> = {}) =>
  new DoClient({ token: fake.token, baseUrl: fake.url, backoff: fast, perPage: 2, ...o });

// the provider only needs NATS to drain; these tests never drain
const noNats = {} as NatsConnection;

describe("DigitalOcean client", () => {
  test("listing by tag follows links.pages.next over every page and returns only tagged droplets", async () => {
    for (let i = 0; i < 5; i++) fake.addDroplet({ name: `w-${i}`, tags: [WORKER_TAG] });
    fake.addDroplet({ name: "the-manager", tags: [] });
    const before = fake.requests.length;
    const list = await client().listDroplets(WORKER_TAG);
    expect(list.map((d) => d.name).sort()).toEqual(["w-0", "w-1", "w-2", "w-3", "w-4"]);
    expect(fake.requests.length - before).toBe(3); // 2 + 2 + 1
    for (const d of fake.tagged(WORKER_TAG)) fake.droplets.delete(d.id);
  });

  test("a 429 waits until ratelimit-reset and then succeeds", async () => {
    const waits: number[] = [];
    fake.rateLimitNext(1, 1);
    const t0 = Date.now();
    await client({ onWait: (_w, ms) => waits.push(ms) }).listPrivateImages();
    expect(waits.length).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(waits[0]! - 5);
  });

  test("5xx bursts on reads are retried with backoff; after the retries it is a clear UNAVAILABLE", async () => {
    fake.failNext(3, 503);
    expect((await client().listPrivateImages()).length).toBe(1);
    fake.failNext(10, 500);
    const err = (await client({ maxRetries: 2 }).listPrivateImages().catch((e) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.status).toBe(500);
    fake.failNext(0);
  });

  test("a 422 says what DigitalOcean rejected and which flags to check", async () => {
    const err = (await client().createDroplets({ name: "x", region: "mars1", size: "s-1vcpu-1gb", image: 7555620 }).catch((e) => e)) as ProviderError;
    expect(err.status).toBe(422);
    expect(err.code).toBe("UNPROCESSABLE");
    expect(err.message).toContain("Region is not available");
    expect(err.message).toContain("--region");
  });

  test("a bad token is a clear UNAUTHORIZED error that does not contain any token", async () => {
    const secret = "dop_v1_secret_that_must_not_leak";
    const err = (await new DoClient({ token: secret, baseUrl: fake.url }).listPrivateImages().catch((e) => e)) as ProviderError;
    expect(err.code).toBe("UNAUTHORIZED");
    expect(err.message).not.toContain(secret);
    expect(JSON.stringify(err)).not.toContain(secret);
    expect(err.message).toContain("DIGITALOCEAN_TOKEN");
  });
});

describe("DigitalOcean provider", () => {
  test("resolves the snapshot name to its image id; a missing snapshot is a clear error", async () => {
    const log = captureLog();
    const p = new DigitalOceanProvider(client(), noNats, { ...digitalOceanDefaults, natsUrl: "nats://10.1.1.1:4222" }, log);
    expect(await p.resolveImage()).toBe(7555620);
    const missing = new DigitalOceanProvider(client(), noNats, { ...digitalOceanDefaults, image: "nope", natsUrl: "nats://10.1.1.1:4222" }, log);
    const err = (await missing.create(1).catch((e) => e)) as ProviderError;
    expect(err.code).toBe("IMAGE_NOT_FOUND");
    expect(err.message).toContain('no snapshot named "nope"');
    expect(err.message).toContain('"worker"');
  });

  test("creating more than 10 droplets is split into calls of at most 10 names", async () => {
    const p = new DigitalOceanProvider(client(), noNats, { ...digitalOceanDefaults, region: "nyc1", natsUrl: "nats://10.1.1.1:4222", fleet: "test" }, captureLog());
    const before = fake.requests.filter((r) => r.method === "POST").length;
    const made = await p.create(12);
    expect(made.length).toBe(12);
    const posts = fake.requests.filter((r) => r.method === "POST").slice(before);
    expect(posts.map((r) => r.body.names.length)).toEqual([10, 2]);
    expect(made.every((s) => s.state === "booting" && s.workerId === `do-${s.id}`)).toBe(true);
    for (const d of fake.tagged(WORKER_TAG)) fake.droplets.delete(d.id);
  });

  test("destroy refuses a droplet without the worker tag, or of another fleet", async () => {
    const other = fake.addDroplet({ name: "theirs", tags: ["docctl-worker", "docctl-fleet:other"] });
    const q = new DigitalOceanProvider(client(), noNats, { ...digitalOceanDefaults, natsUrl: "nats://10.1.1.1:4222", fleet: "test" }, captureLog());
    const e2 = await q.destroy({ id: String(other.id), name: "theirs", workerId: "x", state: "active", createdAt: 0 }).catch((e) => e);
    expect(e2).toBeInstanceOf(ProviderError);
    expect(fake.droplets.has(other.id)).toBe(true);
    const mine = fake.addDroplet({ name: "precious", tags: ["prod"] });
    const p = new DigitalOceanProvider(client(), noNats, { ...digitalOceanDefaults, natsUrl: "nats://10.1.1.1:4222", fleet: "test" }, captureLog());
    const err = await p.destroy({ id: String(mine.id), name: "precious", workerId: "x", state: "active", createdAt: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(fake.droplets.has(mine.id)).toBe(true);
  });
});
