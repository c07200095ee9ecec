// A daemon waiting for NATS says so at every verbosity (warnings); the wait's end is said at the same
// level, so a worker run without -v does not stop at "try 3 failed" while it serves.
import { expect, test } from "bun:test";
import { freePort, startNatsServer } from "../helpers/nats.ts";
import { docctl, spawnDocctl } from "../helpers/cli.ts";

test("a worker without -v that waited for NATS says when it is reachable, then serves", async () => {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const w = spawnDocctl(["worker", "--procs", "1", "--nats", url]);
  try {
    await w.waitFor(/waiting for NATS at nats:\/\/127\.0\.0\.1:\d+: try 2 failed/, 30_000);
    expect(w.output()).not.toContain("reachable now");
    const nats = await startNatsServer({ port });
    try {
      await w.waitFor(/NATS at nats:\/\/127\.0\.0\.1:\d+ is reachable now \(try \d+\); going on/, 60_000);
      // --create: the worker may not have registered echo yet on this fresh server (no -v, no "pulling" line to wait for)
      const r = await docctl(["submit", "-", "--create", "--json", "--timeout", "60s"], { env: { DOCCTL_NATS_URL: url }, stdin: `{"handler":"echo","id":"after-wait","payload":1}` });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout.trim())).toMatchObject({ id: "after-wait", ok: true, value: 1 });
      expect(await w.stop()).toBe(0);
    } finally {
      await nats.cleanup();
    }
  } finally {
    await w.stop("SIGKILL");
  }
}, 120_000);
