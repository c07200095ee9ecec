// Health that follows reality: /healthz of a supervised worker goes unhealthy within seconds of losing
// NATS (a reconnecting client is not "closed") and healthy again when it returns; /metrics answers at
// once meanwhile, from the last good reading of the queue gauges.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startNatsServer, freePort, type NatsServerHandle } from "../helpers/nats.ts";
import { spawnDocctl, eventually, type Background } from "../helpers/cli.ts";
import { parseMetrics, sample } from "../helpers/prometheus.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { tempDir } from "../helpers/tmp.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { encodeJob } from "../../core/runtime/protocol/codec.ts";

describe("docctl worker --http while NATS goes away", () => {
  let nats: NatsServerHandle;
  let worker: Background;
  let base: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    worker = spawnDocctl(["worker", "--procs", "1", "--nats", nats.url, "--http", `127.0.0.1:${port}`, "-v"]);
    await worker.waitFor(/pulling/, 30_000);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await nats?.cleanup();
  });

  const health = async () => {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as { status: string; detail: { nats: string; why?: string } } };
  };

  test("/healthz is unhealthy within 15 s of killing nats-server, /metrics stays quick with its lag gauges, and health returns with the server", async () => {
    await eventually(async () => (await health()).status === 200, 15_000, "healthy at start");
    await eventually(async () => sample(parseMetrics(await (await fetch(`${base}/metrics`)).text()), "docctl_queue_lag", { handler: "echo" }), 15_000, "a first lag reading");

    nats.proc.kill("SIGKILL");
    await nats.proc.exited;
    // the procs' own connections may notice first ("no proc can serve"): wait for the parent's too
    const down = await eventually(async () => {
      const h = await health();
      return h.status === 503 && h.body.detail.nats === "reconnecting" ? h : undefined;
    }, 15_000, "/healthz 503 with NATS reconnecting after nats-server was killed");
    expect(down.body.status).toBe("unhealthy");
    expect(down.body.detail.nats).toBe("reconnecting");
    expect(down.body.detail.why).toContain("NATS");

    // answered from cached state: a scrape that waited for NATS (6 s before) is aborted
    const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(4_000) });
    const m = parseMetrics(await res.text());
    expect(res.status).toBe(200);
    expect(sample(m, "docctl_nats_connected", {})!.value).toBe(0);
    // the queue gauges are still there (last good reading)
    expect(sample(m, "docctl_queue_lag", { handler: "echo" })).toBeDefined();

    await nats.restart();
    await eventually(async () => (await health()).status === 200, 30_000, "/healthz 200 after nats-server came back");
    await eventually(async () => sample(parseMetrics(await (await fetch(`${base}/metrics`)).text()), "docctl_nats_connected", {})?.value === 1, 15_000, "docctl_nats_connected 1");
  }, 90_000);
});

describe("docctl worker --http while its only proc is stuck", () => {
  test("/healthz says no proc can serve while the proc's event loop is blocked, and is healthy again once the watchdog replaced it", async () => {
    const nats = await startNatsServer();
    const dir = tempDir("docctl-health-stuck-");
    mkdirSync(join(dir.path, "plugins"));
    writeFileSync(join(dir.path, "plugins", "spin.ts"), `export default (p: { ms: number }) => { const end = Date.now() + p.ms; while (Date.now() < end) {} return 1; };\n`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const worker = spawnDocctl(["worker", "--procs", "1", "--nats", nats.url, "--plugins", join(dir.path, "plugins"), "--http", `127.0.0.1:${port}`, "-v"]);
    const nc = await connectNats({ url: nats.url });
    try {
      await worker.waitFor(/pulling/, 30_000);
      await eventually(async () => (await fetch(`${base}/healthz`)).status === 200, 15_000, "healthy at start");
      const id = "stuck-1";
      await jetstream(nc).publish("docctl.tasks.spin", encodeJob({ v: 1, id, batch: id, handler: "spin", payload: { ms: 20_000 }, submitted_at: Date.now(), attempts: 1, timeout_ms: 2000 }), { msgID: id });
      const down = await eventually(async () => {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
        return res.status === 503 ? ((await res.json()) as { detail: { why?: string; nats: string } }) : undefined;
      }, 15_000, "/healthz 503 while the proc is stuck");
      expect(down.detail.why).toBe("no proc can serve");
      expect(down.detail.nats).toBe("connected");
      await eventually(async () => (await fetch(`${base}/healthz`)).status === 200, 30_000, "/healthz 200 after the watchdog replaced the proc");
      expect(worker.output()).toContain("is stuck");
    } finally {
      await worker.stop();
      await nc.close();
      await nats.cleanup();
      dir.cleanup();
    }
  }, 90_000);
});
