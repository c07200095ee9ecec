// Daemons started while NATS is not there wait for it (a line per try, backoff) instead of exiting 4;
// one-shot commands still exit 4 at once.
import { expect, test } from "bun:test";
import { freePort, startNatsServer } from "../helpers/nats.ts";
import { docctl, spawnDocctl } from "../helpers/cli.ts";

test("a worker started before NATS waits for it, logging each try, and serves once it is there", async () => {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const w = spawnDocctl(["worker", "--procs", "1", "--nats", url, "-v"]);
  try {
    await w.waitFor(/waiting for NATS at nats:\/\/127\.0\.0\.1:\d+: try 2 failed/, 20_000);
    expect(w.output()).toMatch(/try 1 failed \(.*\); next try in \d+\.\ds/);
    expect(w.proc.exitCode).toBeNull();
    const nats = await startNatsServer({ port });
    try {
      await w.waitFor(/pulling/, 30_000);
      expect(await w.stop()).toBe(0);
    } finally {
      await nats.cleanup();
    }
  } finally {
    await w.stop("SIGKILL");
  }
}, 60_000);

test("a manager waits too, and a stop signal ends the wait cleanly; one-shot commands exit 4", async () => {
  const url = `nats://127.0.0.1:${await freePort()}`;
  const m = spawnDocctl(["manager", "--provider", "local", "--nats", url]);
  try {
    await m.waitFor(/waiting for NATS .*try 1 failed/, 20_000);
    expect(await m.stop("SIGTERM")).toBe(0);
  } finally {
    await m.stop("SIGKILL");
  }
  const s = await docctl(["status", "--nats", url]);
  expect(s.code).toBe(4);
  expect(s.stderr).toContain("cannot reach NATS");
}, 60_000);
