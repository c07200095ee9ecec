// The least-privilege NATS user of docs/deploy.md (systemd/nats-accounts.conf), for real: a worker
// logged in as docctl-worker pulls, runs and acks jobs, writes results and dead letters, keeps its
// presence and answers control requests, with no permission violation; the same user cannot delete
// or purge a stream, or delete a consumer.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { docctl, spawnDocctl, ROOT, type Background } from "../helpers/cli.ts";
import { eventually } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const ADMIN = { DOCCTL_NATS_USER: "docctl-admin", DOCCTL_NATS_PASSWORD: "admin-pw-8c1e" };
const WORKER = { DOCCTL_NATS_USER: "docctl-worker", DOCCTL_NATS_PASSWORD: "worker-pw-51d0" };
let nats: NatsServerHandle;
let worker: Background;
let logFile: string;
const logDir = tempDir("docctl-natslog-");

beforeAll(async () => {
  const accounts = readFileSync(join(ROOT, "systemd", "nats-accounts.conf"), "utf8")
    .replace("$DOCCTL_ADMIN_PASSWORD", ADMIN.DOCCTL_NATS_PASSWORD)
    .replace("$DOCCTL_WORKER_PASSWORD", WORKER.DOCCTL_NATS_PASSWORD);
  logFile = join(logDir.path, "nats.log");
  nats = await startNatsServer({ config: accounts, args: ["-l", logFile] });
});
afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  logDir.cleanup();
});

const violations = () => {
  try {
    return readFileSync(logFile, "utf8").split("\n").filter((l) => /(Publish|Subscription) Violation|Permissions Violation/i.test(l));
  } catch {
    return [];
  }
};

test("a worker as docctl-worker runs jobs, writes dead letters and answers control, without one permission violation", async () => {
  const env = { DOCCTL_NATS_URL: nats.url };
  worker = spawnDocctl(["worker", "--procs", "1", "--name", "limited-1", "-vv"], { env: { ...env, ...WORKER } });
  await worker.waitFor(/ready/, 30_000);
  const ok = await docctl(["submit", "-", "--json"], { env: { ...env, ...ADMIN }, stdin: `{"handler":"echo","id":"least-1","payload":{"n":1}}` });
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, worker: "limited-1" });
  // fails for good: a result and a dead letter, both written by the worker
  const bad = await docctl(["submit", "-", "--json"], { env: { ...env, ...ADMIN }, stdin: `{"handler":"title","id":"least-2","payload":{"url":"ftp://example.com/"}}` });
  expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { code: "FETCH_BLOCKED" } });
  const dead = await docctl(["dead", "ls", "--json"], { env: { ...env, ...ADMIN } });
  expect(dead.stdout).toContain("least-2");
  const status = await docctl(["status", "limited-1"], { env: { ...env, ...ADMIN } });
  expect(status.stdout).toContain("limited-1  running");
  const drain = await docctl(["drain", "limited-1"], { env: { ...env, ...ADMIN } });
  expect(drain.code).toBe(0);
  expect(await worker.proc.exited).toBe(0);
  expect(worker.output()).not.toMatch(/permission|violation/i);
  expect(violations()).toEqual([]);
}, 90_000);

test("docctl-worker cannot delete or purge a stream, or delete a consumer", async () => {
  const nc: NatsConnection = await connect({ servers: nats.url, user: WORKER.DOCCTL_NATS_USER, pass: WORKER.DOCCTL_NATS_PASSWORD, timeout: 5000 });
  const jsm = await jetstreamManager(nc, { timeout: 1500 });
  await expect(jsm.streams.delete("DOCCTL_TASKS")).rejects.toThrow();
  await expect(jsm.streams.purge("DOCCTL_RESULTS")).rejects.toThrow();
  await expect(jsm.consumers.delete("DOCCTL_TASKS", "docctl-echo")).rejects.toThrow();
  await nc.close();
  const admin = await connect({ servers: nats.url, user: ADMIN.DOCCTL_NATS_USER, pass: ADMIN.DOCCTL_NATS_PASSWORD });
  const ajsm = await jetstreamManager(admin);
  expect((await ajsm.streams.info("DOCCTL_TASKS")).config.name).toBe("DOCCTL_TASKS");
  expect((await ajsm.streams.info("DOCCTL_RESULTS")).state.messages).toBeGreaterThan(0);
  expect((await ajsm.consumers.info("DOCCTL_TASKS", "docctl-echo")).name).toBe("docctl-echo");
  await admin.close();
  // the server refused them (the worker's own run above logged none)
  await eventually(() => violations().some((l) => l.includes("$JS.API.STREAM.DELETE.DOCCTL_TASKS")), 5000, "the server to log the refusals");
}, 60_000);
