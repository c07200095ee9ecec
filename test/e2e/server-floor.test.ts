// docctl needs nats-server 2.14+: against Debian trixie's 2.10 (extracted by scripts/deps.sh) every
// process refuses at connect, naming both versions and how to upgrade: one-shot commands exit 2,
// daemons exit 1, the library throws ServerVersionError (code NATS_SERVER_TOO_OLD).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { OLD_NATS_SERVER, startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { docctl } from "../helpers/cli.ts";
import { Client, ServerVersionError, Worker } from "../../core/lib/index.ts";
import { serverVersionProblem } from "../../core/runtime/nats/server-version.ts";

const have = existsSync(OLD_NATS_SERVER);
if (!have) console.warn(`${OLD_NATS_SERVER} is missing (run scripts/deps.sh as root): the old-server tests fail`);

let old: NatsServerHandle;
beforeAll(async () => {
  old = await startNatsServer({ bin: OLD_NATS_SERVER });
});
afterAll(() => old?.cleanup());

test("the floor is a pure decision on the version string", () => {
  expect(serverVersionProblem("2.14.0")).toBeUndefined();
  expect(serverVersionProblem("2.15.1")).toBeUndefined();
  expect(serverVersionProblem("3.0.0")).toBeUndefined();
  expect(serverVersionProblem("2.13.9")).toContain("nats-server 2.13.9 is too old: docctl needs nats-server 2.14 or newer");
  expect(serverVersionProblem("2.10.27")).toContain("scripts/deps.sh");
  expect(serverVersionProblem(undefined)).toContain("unknown version");
});

test("one-shot commands refuse a 2.10 server with exit 2, naming both versions and the upgrade", async () => {
  for (const args of [["status"], ["jobs"], ["submit", "--no-wait", "-"]]) {
    const r = await docctl([...args, "--nats", old.url], { stdin: '{"handler":"echo","payload":{}}' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`docctl ${args[0]}: NATS at ${old.url}: nats-server 2.10.27 is too old: docctl needs nats-server 2.14 or newer`);
    expect(r.stderr).toContain("Upgrade nats-server to 2.14 or newer: on Debian/Ubuntu run scripts/deps.sh");
    expect(r.stderr).not.toContain("unexpected error");
  }
}, 60_000);

test("daemons (worker, manager) refuse it too and exit 1", async () => {
  const w = await docctl(["worker", "--procs", "1", "--nats", old.url]);
  expect(w.code).toBe(1);
  expect(w.stderr).toContain("nats-server 2.10.27 is too old");
  const m = await docctl(["manager", "--provider", "local", "--nats", old.url]);
  expect(m.code).toBe(1);
  expect(m.stderr).toContain("nats-server 2.10.27 is too old");
}, 60_000);

test("the library's Client and Worker throw ServerVersionError with a stable code", async () => {
  const client = new Client({ nats: old.url });
  const err = await client.submit("echo", {}).catch((e) => e);
  expect(err).toBeInstanceOf(ServerVersionError);
  expect(err.code).toBe("NATS_SERVER_TOO_OLD");
  expect(err.found).toBe("2.10.27");
  expect(err.required).toBe("2.14.0");
  await client.close();
  const worker = new Worker({ nats: old.url, handlers: { echo: { handle: async (p: unknown) => p } } });
  const werr = await worker.start().catch((e) => e);
  expect(werr).toBeInstanceOf(ServerVersionError);
  await worker.close().catch(() => {});
}, 60_000);
