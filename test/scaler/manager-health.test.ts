// The manager's /healthz follows NATS the way the worker's does (core/runtime/nats/health.ts): a
// connection lost and reconnecting is down, not "still open".
import { expect, test } from "bun:test";
import { freePort, startNatsServer } from "../helpers/nats.ts";
import { spawnDocctl, eventually } from "../helpers/cli.ts";

test("docctl manager --http: /healthz 503 soon after nats-server is SIGKILLed, 200 again when it returns", async () => {
  const nats = await startNatsServer();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const m = spawnDocctl(["manager", "--provider", "local", "--nats", nats.url, "--interval", "500ms", "--http", `127.0.0.1:${port}`, "-v"]);
  try {
    await m.waitFor(/serving \/metrics/, 30_000);
    await eventually(async () => (await fetch(`${base}/healthz`)).status === 200, 15_000, "healthy at start");
    nats.proc.kill("SIGKILL");
    await nats.proc.exited;
    const body = await eventually(async () => {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
      return res.status === 503 ? ((await res.json()) as { detail: { nats: string } }) : undefined;
    }, 15_000, "/healthz 503 after nats-server was killed");
    expect(body.detail.nats).toBe("reconnecting");
    await nats.restart();
    await eventually(async () => (await fetch(`${base}/healthz`)).status === 200, 30_000, "/healthz 200 after nats-server came back");
  } finally {
    await m.stop();
    await nats.cleanup();
  }
}, 90_000);
