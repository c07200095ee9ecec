// /metrics and /healthz of `docctl worker --http`: Prometheus text read by a parser, counters that
// follow the jobs, lag read from the consumers; and the registry on its own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MetricsRegistry } from "../../core/runtime/util/metrics.ts";
import { hostAllowed, parseAddr, startHttp } from "../../core/runtime/http/server.ts";
import { docctl, eventually, spawnDocctl, type Background } from "../helpers/cli.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { parseMetrics, sample } from "../helpers/prometheus.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("the registry", () => {
  test("counters, gauges and histograms render as valid exposition, labels escaped", async () => {
    const r = new MetricsRegistry();
    const c = r.counter("t_jobs_total", "Jobs.");
    const g = r.gauge("t_lag", "Lag.");
    const h = r.histogram("t_seconds", "Durations.", [0.1, 1]);
    c.inc({ handler: 'we"ird\\name' });
    c.inc({ handler: "echo" }, 2);
    g.set({ handler: "echo" }, 7);
    h.observe({ handler: "echo" }, 0.05);
    h.observe({ handler: "echo" }, 0.5);
    h.observe({ handler: "echo" }, 3);
    const m = parseMetrics(await r.render());
    expect(m.get("t_jobs_total")!.type).toBe("counter");
    expect(m.get("t_jobs_total")!.help).toBe("Jobs.");
    expect(sample(m, "t_jobs_total", { handler: "echo" })!.value).toBe(2);
    expect(sample(m, "t_jobs_total", { handler: 'we"ird\\name' })!.value).toBe(1);
    expect(sample(m, "t_lag", { handler: "echo" })!.value).toBe(7);
    const hist = sample(m, "t_seconds", { handler: "echo" })!;
    expect(hist.buckets).toEqual({ "0.1": 1, "1": 2, "+Inf": 3 });
    expect(hist.count).toBe(3);
    expect(Number(hist.sum)).toBeCloseTo(3.55);
  });

  test("addresses: a bare port is loopback; bad ones are refused with the flag's name", () => {
    expect(parseAddr("9090")).toEqual({ hostname: "127.0.0.1", port: 9090 });
    expect(parseAddr("0.0.0.0:80")).toEqual({ hostname: "0.0.0.0", port: 80 });
    expect(parseAddr("[::1]:9090")).toEqual({ hostname: "::1", port: 9090 });
    expect(() => parseAddr("localhost")).toThrow("--http must be HOST:PORT or PORT");
  });

  test("actions need the token; without one only on loopback", async () => {
    const hit = { n: 0 };
    const routes = { "POST /act": () => (hit.n++, new Response("done")) };
    const open = await startHttp({ addr: "127.0.0.1:0", routes });
    const locked = await startHttp({ addr: "127.0.0.1:0", routes, token: "s3cret-token" });
    const json = { "content-type": "application/json" };
    try {
      expect((await fetch(`${open.url}/act`, { method: "POST", headers: json, body: "{}" })).status).toBe(200);
      expect((await fetch(`${locked.url}/act`, { method: "POST", headers: json, body: "{}" })).status).toBe(401);
      expect((await fetch(`${locked.url}/act`, { method: "POST", headers: { ...json, authorization: "Bearer nope" }, body: "{}" })).status).toBe(401);
      expect((await fetch(`${locked.url}/act`, { method: "POST", headers: { ...json, authorization: "Bearer s3cret-token" }, body: "{}" })).status).toBe(200);
      expect((await fetch(`${open.url}/act`)).status).toBe(405);
      expect((await fetch(`${open.url}/nope`)).status).toBe(404);
      expect(hit.n).toBe(2);
    } finally {
      await open.stop();
      await locked.stop();
    }
  });

  test("a cross-site POST and a foreign Host are refused; the page's own JSON POST and curl's are served", async () => {
    const hit = { n: 0 };
    const routes = { "POST /api/dead/retry": () => (hit.n++, Response.json({ retried: [] })) };
    const srv = await startHttp({ addr: "127.0.0.1:0", routes, hosts: ["docctl.internal"] });
    const url = `${srv.url}/api/dead/retry`;
    const same = `http://127.0.0.1:${srv.port}`;
    // a page elsewhere posting {"all":true} as text/plain (no preflight needed): refused
    const plain = await fetch(url, { method: "POST", headers: { "content-type": "text/plain", origin: "https://evil.example" }, body: '{"all":true}' });
    expect(plain.status).toBe(415);
    // as JSON from a foreign origin (its preflight would fail; the request itself is refused too)
    const cross = await fetch(url, { method: "POST", headers: { "content-type": "application/json", origin: "https://evil.example" }, body: '{"all":true}' });
    expect(cross.status).toBe(403);
    expect(await cross.text()).toContain("cross-site action refused");
    const fetchSite = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "sec-fetch-site": "cross-site" }, body: "{}" });
    expect(fetchSite.status).toBe(403);
    // DNS rebinding: the attacker's name resolving to 127.0.0.1, for reads as well as actions
    const rebound = await fetch(`${srv.url}/healthz`, { headers: { host: `evil.example:${srv.port}` } });
    expect(rebound.status).toBe(421);
    expect(await rebound.text()).toContain("--http-host");
    expect((await fetch(`${srv.url}/healthz`, { headers: { host: `127.0.0.1:${srv.port + 1}` } })).status).toBe(421);
    expect(hit.n).toBe(0);
    // its own page, curl (no Origin), localhost and a configured name are served
    expect((await fetch(url, { method: "POST", headers: { "content-type": "application/json", origin: same }, body: "{}" })).status).toBe(200);
    expect((await fetch(url, { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: "{}" })).status).toBe(200);
    expect((await fetch(`${srv.url}/healthz`, { headers: { host: `localhost:${srv.port}` } })).status).toBe(200);
    expect((await fetch(`${srv.url}/healthz`, { headers: { host: "docctl.internal" } })).status).toBe(200);
    expect(hit.n).toBe(2);
    await srv.stop();
  });

  test("Host rules: loopback names on a loopback bind, IP literals on a wildcard bind, configured names anywhere", () => {
    const lo = { hostname: "127.0.0.1", port: 9090 };
    expect(hostAllowed("127.0.0.1:9090", lo)).toBe(true);
    expect(hostAllowed("localhost:9090", lo)).toBe(true);
    expect(hostAllowed("[::1]:9090", lo)).toBe(true);
    expect(hostAllowed("evil.example:9090", lo)).toBe(false);
    expect(hostAllowed(null, lo)).toBe(false);
    const any = { hostname: "0.0.0.0", port: 9090 };
    expect(hostAllowed("10.0.0.5:9090", any)).toBe(true);
    expect(hostAllowed("evil.example:9090", any)).toBe(false);
    expect(hostAllowed("metrics.internal", any, ["metrics.internal"])).toBe(true);
  });
});

describe("docctl worker --procs 0 --http (one process)", () => {
  let nats: NatsServerHandle;
  let worker: Background;
  let base: string;
  const dir = tempDir("docctl-metrics-");

  beforeAll(async () => {
    nats = await startNatsServer();
    mkdirSync(join(dir.path, "plugins"));
    // fails for good on {fail: true}; fails once then succeeds on {flaky: true}
    writeFileSync(
      join(dir.path, "plugins", "picky.ts"),
      `export default {
        maxAttempts: 2,
        async handle(p: any, ctx: any) {
          if (p.fail) throw Object.assign(new Error("no"), { code: "NOPE", retryable: false });
          if (p.flaky && ctx.attempt === 1) throw new Error("first try fails");
          await new Promise((r) => setTimeout(r, p.sleep ?? 0));
          return p;
        },
      };`,
    );
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    worker = spawnDocctl(["worker", "--procs", "0", "--nats", nats.url, "--plugins", join(dir.path, "plugins"), "--retry-base", "50ms", "--http", `127.0.0.1:${port}`, "-vv"]);
    await worker.waitFor(/pulling/);
  });
  afterAll(async () => {
    await worker?.stop();
    await nats.cleanup();
    dir.cleanup();
  });

  const scrape = async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    return parseMetrics(await res.text());
  };

  test("it listens on loopback and says where", () => {
    expect(worker.output()).toContain(`serving /metrics, /healthz and the dashboard on ${base}`);
  });

  test("/healthz is ok while the loop runs and NATS is connected", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", detail: { state: "running", nats: "connected" } });
  });

  test("counters per handler start at 0 and follow done, retried, failed and dead jobs; durations are observed", async () => {
    const before = await scrape();
    expect(sample(before, "docctl_jobs_done_total", { handler: "picky" })!.value).toBe(0);
    expect(sample(before, "docctl_worker_info")!.labels.version).toMatch(/\d+\.\d+/);
    const jobs = [{ handler: "picky", payload: { ok: 1 } }, { handler: "picky", payload: { flaky: true } }, { handler: "picky", payload: { fail: true } }, { handler: "echo", payload: 1 }];
    const r = await docctl(["submit", "-", "--nats", nats.url, "--json", "--timeout", "30s"], { stdin: JSON.stringify(jobs) });
    expect(r.code).toBe(1); // one failed for good
    const m = await scrape();
    const v = (name: string, handler: string) => Number(sample(m, name, { handler })?.value);
    expect(v("docctl_jobs_done_total", "picky")).toBe(2);
    expect(v("docctl_jobs_done_total", "echo")).toBe(1);
    expect(v("docctl_jobs_retried_total", "picky")).toBe(1);
    expect(v("docctl_jobs_failed_total", "picky")).toBe(1);
    expect(v("docctl_jobs_dead_total", "picky")).toBe(1);
    expect(v("docctl_jobs_dead_total", "echo")).toBe(0);
    const ok = sample(m, "docctl_job_duration_seconds", { handler: "picky", outcome: "ok" })!;
    expect(ok.count).toBe(2);
    expect(ok.sum).toBeGreaterThan(0);
    expect(sample(m, "docctl_job_duration_seconds", { handler: "picky", outcome: "failed" })!.count).toBe(1);
    expect(v("docctl_queue_lag", "picky")).toBe(0);
    expect(Number(sample(m, "docctl_nats_connected")!.value)).toBe(1);
  });

  test("lag and in-flight show jobs waiting and running", async () => {
    const jobs = Array.from({ length: 8 }, (_, i) => ({ handler: "picky", payload: { sleep: 1500, i } }));
    const sub = await docctl(["submit", "-", "--nats", nats.url, "--no-wait"], { stdin: JSON.stringify(jobs) });
    expect(sub.code).toBe(0);
    const m = await eventually(async () => {
      const m = await scrape();
      return Number(sample(m, "docctl_jobs_in_flight", { handler: "picky" })?.value) === 4 ? m : undefined;
    }, 10_000, "4 jobs in flight");
    // 8 submitted, 4 running here (the default concurrency): lag counts waiting + in flight
    expect(Number(sample(m, "docctl_queue_lag", { handler: "picky" })!.value)).toBe(8);
    expect(Number(sample(m, "docctl_queue_ack_pending", { handler: "picky" })!.value)).toBe(4);
    await eventually(async () => Number(sample(await scrape(), "docctl_jobs_done_total", { handler: "picky" })?.value) === 10, 15_000, "all done");
  });
});

describe("docctl worker --procs 2 --http (a supervisor)", () => {
  test("one /metrics for the whole worker: each proc's job counters with a proc label, queue gauges once", async () => {
    const nats = await startNatsServer();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const w = spawnDocctl(["worker", "--procs", "2", "--nats", nats.url, "--http", `127.0.0.1:${port}`, "-vv"]);
    try {
      await w.waitFor(/proc-2 \(pid \d+\) ready/);
      await w.waitFor(/proc-1 \(pid \d+\) ready/);
      const jobs = Array.from({ length: 6 }, (_, n) => ({ handler: "echo", payload: n }));
      expect((await docctl(["submit", "-", "--nats", nats.url, "--json"], { stdin: JSON.stringify(jobs) })).code).toBe(0);
      const m = parseMetrics(await (await fetch(`${base}/metrics`)).text());
      const done = m.get("docctl_jobs_done_total")!.metrics.filter((s) => s.labels.handler === "echo");
      expect(done.map((s) => s.labels.proc).sort()).toEqual(["proc-1", "proc-2"]);
      expect(done.reduce((n, s) => n + s.value!, 0)).toBe(6);
      const durations = m.get("docctl_job_duration_seconds")!.metrics.filter((s) => s.labels.handler === "echo");
      expect(durations.reduce((n, s) => n + s.count!, 0)).toBe(6);
      const lag = m.get("docctl_queue_lag")!.metrics.filter((s) => s.labels.handler === "echo");
      expect(lag).toEqual([{ labels: { handler: "echo" }, value: 0 }]);
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect((await health.json()).detail.procs).toEqual([{ proc: "proc-1", ok: true }, { proc: "proc-2", ok: true }]);
    } finally {
      await w.stop();
      await nats.cleanup();
    }
  });
});
