// `docctl up`, the embedded default: starts NATS when none is reachable, scales workers from zero, stops cleanly.
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, ROOT } from "../helpers/cli.ts";

test("docctl up starts nats-server and workers on demand; Ctrl-C stops everything", async () => {
  const dir = tempDir();
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const up = spawnDocctl(["up", "--nats", url, "--dir", join(dir.path, ".docctl"), "--idle", "3s"], { cwd: dir.path });
  try {
    await up.waitFor(/ready: handlers echo/);
    expect(up.output()).toContain(`started nats-server`);
    expect(existsSync(join(dir.path, ".docctl", "nats.conf"))).toBe(true);
    // No worker runs yet: the job's lag makes the manager start one.
    const r = await docctl(["submit", join(ROOT, "examples/echo-batch.json"), "--nats", url, "--json", "--timeout", "30s"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n").map((l) => JSON.parse(l).value.n)).toEqual([1, 2, 3, 4, 5]);
    expect(up.output()).toMatch(/created 1 server/);
    expect(await up.stop("SIGINT")).toBe(0);
    expect(up.output()).toContain("nats-server stopped");
    const after = await docctl(["submit", join(ROOT, "examples/echo.json"), "--nats", url]);
    expect(after.code).toBe(4);
  } finally {
    await up.stop("SIGKILL");
    dir.cleanup();
  }
});

test("a broken plugin is reported by docctl up at once, naming the file", async () => {
  const dir = tempDir();
  await Bun.write(join(dir.path, "p", "broken.ts"), "export default 42;");
  const r = await docctl(["up", "--plugins", join(dir.path, "p"), "--nats", `nats://127.0.0.1:${await freePort()}`, "--dir", join(dir.path, ".d")]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("broken.ts: must default-export a handler");
  dir.cleanup();
});
