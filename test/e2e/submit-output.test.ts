// What `docctl submit` shows: results in input order, readable and --json alike; a summary coloured by
// what happened; and NATS lost while waiting ends with exit 4 and what had arrived, not a wait for --timeout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { declareHandlers } from "../../core/runtime/nats/handlers.ts";
import { colourOn } from "../../cmd/colour.ts";
import { docctl, spawnDocctl, type Background } from "../helpers/cli.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";

const dir = tempDir("docctl-submit-out-");
let ns: NatsServerHandle;
let worker: Background;

beforeAll(async () => {
  mkdirSync(join(dir.path, "plugins"));
  // sleeps as long as its payload says: makes results arrive out of input order
  writeFileSync(join(dir.path, "plugins", "nap.ts"), "export default async (ms: number) => { await new Promise((r) => setTimeout(r, ms)); return ms; };\n");
  ns = await startNatsServer();
  worker = spawnDocctl(["worker", "--procs", "0", "--plugins", join(dir.path, "plugins"), "--handlers", "nap,echo,title", "--concurrency", "4", "--nats", ns.url, "-v"]);
  await worker.waitFor(/pulling/);
});
afterAll(async () => {
  await worker?.stop();
  await ns?.cleanup();
  dir.cleanup();
});

describe("order", () => {
  test("a slow first job and a fast second one: readable lines and --json both come in input order", async () => {
    const jobs = JSON.stringify([
      { handler: "nap", id: "slow-1", payload: 1500 },
      { handler: "nap", id: "fast-2", payload: 0 },
    ]);
    const text = await docctl(["submit", "-", "--nats", ns.url, "--timeout", "30s"], { stdin: jobs });
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split("\n").map((l) => l.split(" ")[1])).toEqual(["slow-1", "fast-2"]);
    const json = await docctl(["submit", "-", "--json", "--nats", ns.url, "--timeout", "30s"], {
      stdin: jobs.replaceAll("slow-1", "slow-3").replaceAll("fast-2", "fast-4"),
    });
    expect(json.code).toBe(0);
    expect(json.stdout.trim().split("\n").map((l) => JSON.parse(l).id)).toEqual(["slow-3", "fast-4"]);
  });
});

describe("colours", () => {
  test("on only for a terminal without NO_COLOR, or with FORCE_COLOR", () => {
    expect(colourOn({}, true)).toBe(true);
    expect(colourOn({ NO_COLOR: "1" }, true)).toBe(false);
    expect(colourOn({}, false)).toBe(false);
    expect(colourOn({ FORCE_COLOR: "1" }, false)).toBe(true);
    expect(colourOn({ FORCE_COLOR: "0" }, true)).toBe(false);
  });

  test("the summary is green when every job succeeded and red when one failed", async () => {
    const env = { FORCE_COLOR: "1" };
    const ok = await docctl(["submit", "-", "--nats", ns.url], { env, stdin: JSON.stringify({ handler: "echo", payload: 1 }) });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/\x1b\[32m1 ok, 0 failed in [^\n]*\x1b\[0m/);
    expect(ok.stderr).not.toContain("\x1b[31m");
    const bad = await docctl(["submit", "-", "--nats", ns.url], { env, stdin: JSON.stringify({ handler: "title", payload: { url: "ftp://example.com/" } }) });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\x1b\[31m0 ok, 1 failed in /);
    const plain = await docctl(["submit", "-", "--nats", ns.url], { stdin: JSON.stringify({ handler: "echo", payload: 2 }) });
    expect(plain.stderr).not.toContain("\x1b[");
  });
});

test("NATS lost while waiting and not back within --reconnect-grace: exit 4 with the results that had arrived", async () => {
  const s = await startNatsServer();
  const w = spawnDocctl(["worker", "--procs", "0", "--handlers", "echo", "--nats", s.url, "-v"]);
  try {
    await w.waitFor(/pulling/);
    // "later" is known to the fleet but no worker serves it: its job waits
    const nc = await connectNats({ url: s.url });
    await declareHandlers(nc, [{ v: 1, name: "later", source: "manager", registered_by: "test", updated_at: Date.now() }]);
    await nc.close();
    const file = join(dir.path, "two.json");
    writeFileSync(file, JSON.stringify([{ handler: "echo", id: "e-1", payload: "here" }, { handler: "later", id: "l-2", payload: 1 }]));
    const sub = spawnDocctl(["submit", file, "--json", "--timeout", "5m", "--reconnect-grace", "1s", "--nats", s.url]);
    await sub.waitFor(/"id":"e-1"/);
    await s.stop();
    const code = await sub.proc.exited;
    expect(code).toBe(4);
    expect(sub.output()).toContain(`"value":"here"`);
    expect(sub.output()).toContain("docctl submit: lost the connection to NATS and it did not come back within 1.0s (1 of 2 results received)");
    expect(sub.output()).not.toContain("timed out");
  } finally {
    await w.stop("SIGKILL");
    await s.cleanup();
  }
});
