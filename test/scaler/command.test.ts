// `docctl manager` as a user runs it: flags parsed at the edge, the token read from a file and never printed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { join } from "node:path";
import { command, managerConfig } from "../../cmd/commands/manager.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { startFakeDo, type FakeDo } from "../helpers/fake-do.ts";
import { tempDir } from "../helpers/tmp.ts";
import { createTasksStream, publishJobs, purgeJobs, waitFor } from "./setup.ts";
import { WORKER_TAG } from "../../core/scaler/providers/digitalocean.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let fake: FakeDo;
beforeAll(async () => {
  ({ ns, nc } = await setup());
  await createTasksStream(nc);
  fake = startFakeDo({ token: "dop_v1_3c0ffee_this_token_must_never_be_printed", activeAfterMs: 100 });
});
afterAll(async () => {
  await fake.stop();
  await cleanup(ns, nc);
});

const global = { nats: "nats://127.0.0.1:4222", verbosity: 0, logFormat: "pretty" as const };

test("flags become a typed config with durations in ms", () => {
  const cfg = managerConfig({
    values: { provider: "digitalocean", min: "1", max: "7", "jobs-per-worker": "5", interval: "2s", idle: "3m", cooldown: "90s", "ssh-key": ["1", "2"], tag: ["a"], "dry-run": true },
    positionals: [],
    global,
  });
  expect(cfg.manager.policy).toEqual({ min: 1, max: 7, jobsPerWorker: 5, idleMs: 180_000, cooldownMs: 90_000 });
  expect(cfg.manager.intervalMs).toBe(2000);
  expect(cfg.manager.dryRun).toBe(true);
  expect(cfg.digitalocean?.sshKeys).toEqual(["1", "2"]);
  expect(() => managerConfig({ values: { interval: "soon" }, positionals: [], global })).toThrow('--interval: "soon" is not a duration');
  expect(() => managerConfig({ values: { max: "-1" }, positionals: [], global })).toThrow("--max must be a whole number");
  expect(() => managerConfig({ values: { provider: "aws" }, positionals: [], global })).toThrow("--provider must be local or digitalocean");
  expect(command.help).toContain("--do-token-file");
});

test("docctl manager --provider digitalocean scales with the token from a file and never prints it", async () => {
  const dir = tempDir();
  const tokenFile = join(dir.path, "token");
  await Bun.write(tokenFile, fake.token + "\n");
  const proc = Bun.spawn(
    [process.execPath, join(import.meta.dir, "fixtures", "run-manager.ts"), ns.url, "--provider", "digitalocean", "--do-api-url", fake.url,
      "--do-token-file", tokenFile, "--region", "nyc1", "--interval", "200ms", "--idle", "500ms", "--max", "3", "--jobs-per-worker", "10",
      "--worker-nats", "nats://10.9.9.9:4222", "--drain-timeout", "1s", "--billing-minimum", "0s"],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, DIGITALOCEAN_TOKEN: "" } },
  );
  try {
    await publishJobs(nc, 12);
    await waitFor("2 droplets", () => fake.tagged(WORKER_TAG).length === 2, 10_000);
    await purgeJobs(nc);
    await waitFor("droplets deleted after idle", () => fake.tagged(WORKER_TAG).length === 0, 10_000);
  } finally {
    proc.kill("SIGTERM");
  }
  expect(await proc.exited).toBe(0);
  const out = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
  expect(out).toContain("created 2 server(s)");
  expect(out).not.toContain(fake.token);
  expect(out).not.toContain("3c0ffee");
  dir.cleanup();
}, 30_000);

test("the local provider starts workers with this same program, compiled or from source", async () => {
  const { workerCommand } = await import("../../core/scaler/providers/local.ts");
  expect(workerCommand(["bun", "/$bunfs/root/docctl", "manager"], "/usr/local/bin/docctl")).toEqual(["/usr/local/bin/docctl", "worker"]);
  expect(workerCommand(["/usr/bin/bun", "/src/cmd/docctl.ts", "manager"], "/usr/bin/bun")).toEqual(["/usr/bin/bun", "/src/cmd/docctl.ts", "worker"]);
});
