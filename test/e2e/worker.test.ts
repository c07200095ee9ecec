// docctl worker as a supervisor, end to end: the compiled binary, a real nats-server, real procs and signals.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { decodeResult, encodeJob, type ResultV1 } from "../../core/runtime/protocol/codec.ts";
import { listWorkers } from "../../core/runtime/client/fleet.ts";
import type { PresenceV1 } from "../../core/runtime/protocol/control.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { eventually } from "../helpers/eventually.ts";
import { tempDir } from "../helpers/tmp.ts";

const ROOT = join(import.meta.dir, "../..");
let bin: string;
let nats: NatsServerHandle;
// Reconnects forever: a server stalled for a moment on a loaded machine must not close it for the whole file.
let nc: NatsConnection;
let jsm: JetStreamManager;
let tmp: { path: string; cleanup(): void };
const running: Subprocess[] = [];
/** per-test limit: real processes on a small shared machine */
const T = 90_000;

beforeAll(async () => {
  tmp = tempDir("docctl-e2e-worker-");
  bin = process.env.DOCCTL_BIN ?? join(tmp.path, "docctl");
  if (!process.env.DOCCTL_BIN) {
    const b = Bun.spawnSync([process.execPath, "build", "--compile", "--asset-naming=[name].[ext]", join(ROOT, "cmd/docctl.ts"), "--outfile", bin], { stderr: "pipe" });
    if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
  }
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url, reconnectForever: true });
  jsm = await jetstreamManager(nc);
}, 120_000);

// A test that failed half-way must not leave a worker behind to steal the next test's jobs.
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.exitCode !== null || p.signalCode) continue;
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
    await p.exited;
    clearTimeout(t);
  }
});

afterAll(async () => {
  for (const p of running) if (p.exitCode === null) p.kill("SIGKILL");
  await Promise.all(running.map((p) => p.exited));
  await nc?.close();
  await nats?.cleanup();
  tmp?.cleanup();
});

/** A plugins dir with: slow (sleeps payload.ms), ver (returns the version baked in), crashy (fails to load in procs named crashy-*). */
function pluginsDir(name: string, ver = 1): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "slow.ts"), `export default async (p: { ms: number }) => { await Bun.sleep(p.ms); return { pid: process.pid }; };\n`);
  writeVer(dir, ver);
  // Long only on its first attempt, so a redelivery after a hard stop finishes quickly.
  writeFileSync(join(dir, "stuck.ts"), `export default async (p: { ms: number }, ctx: { attempt: number }) => { if (ctx.attempt === 1) await Bun.sleep(p.ms); return { attempt: ctx.attempt }; };\n`);
  writeFileSync(
    join(dir, "crashy.ts"),
    `if ((process.env.DOCCTL_PROC_NAME ?? "").startsWith("crashy-")) throw new Error("libcrashy.so: cannot open shared object file");\nexport default () => "fine";\n`,
  );
  return dir;
}
function writeVer(dir: string, ver: number) {
  writeFileSync(join(dir, "ver.ts"), `export default async (p: { ms?: number }) => { await Bun.sleep(p.ms ?? 0); return { v: ${ver} }; };\n`);
}

interface Worker {
  proc: Subprocess;
  id: string;
  stderr(): string;
}

function startWorker(id: string, args: string[]): Worker {
  const proc = Bun.spawn([bin, "worker", "--nats", nats.url, "--name", id, "-vv", ...args], { stdout: "pipe", stderr: "pipe" });
  running.push(proc);
  let err = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const c of proc.stderr as ReadableStream<Uint8Array>) err += dec.decode(c);
  })();
  return { proc, id, stderr: () => err };
}

/** The worker's exit code; fails (with its stderr) instead of hanging when it does not exit in time. */
async function exitOf(w: Worker, ms = 30_000): Promise<number> {
  const t = Bun.sleep(ms).then(() => "timeout" as const);
  const r = await Promise.race([w.proc.exited, t]);
  if (r === "timeout") throw new Error(`worker ${w.id} did not exit within ${ms}ms; its stderr:\n${w.stderr()}`);
  return r;
}

/** Run a docctl command; a hang fails the test (with what it printed) instead of blocking the file. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([bin, ...args, "--nats", nats.url], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  clearTimeout(timer);
  if (p.signalCode === "SIGKILL") throw new Error(`docctl ${args.join(" ")} hung for 20s; stdout: ${out} stderr: ${err}`);
  return { code, out, err };
}

async function until<T>(what: string, f: () => Promise<T> | T, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  let v: T | undefined;
  await eventually(async () => ok((v = await f())), { timeoutMs: ms, everyMs: 100, what, context: () => `last: ${JSON.stringify(v)}` });
  return v as T;
}

const presence = async (id: string): Promise<PresenceV1 | undefined> => (await listWorkers(nc)).find((w) => w.id === id);
const allReady = (w?: PresenceV1) => !!w && w.procs.length > 0 && w.procs.every((p) => p.state === "RUNNING" && p.loop === "running");

let seq = 0;
const T0 = Date.now();
const mark = (s: string) => process.env.E2E_TRACE && console.log(`  [${Date.now() - T0}ms] ${s}`);
async function submit(handler: string, payload: unknown): Promise<string> {
  const id = `e2e-${Date.now().toString(36)}-${++seq}`;
  await jetstream(nc).publish(`docctl.tasks.${handler}`, encodeJob({ v: 1, id, batch: id, handler, payload, submitted_at: Date.now() }), { msgID: id });
  return id;
}
async function result(id: string): Promise<ResultV1 | undefined> {
  try {
    const m = await jsm.streams.getMessage("DOCCTL_RESULTS", { last_by_subj: `docctl.results.${id}.${id}` });
    return m ? decodeResult(m.data) : undefined;
  } catch {
    return undefined;
  }
}
const awaitResult = (id: string, ms = 20_000) => until(`the result of ${id}`, () => result(id), (r) => r !== undefined, ms) as Promise<ResultV1>;

describe("docctl worker (supervisor)", () => {
  test("a SIGKILLed proc is replaced by a new pid and the job it held is redelivered and finished", async () => {
    const w = startWorker("e2e-kill", ["--procs", "2", "--plugins", pluginsDir("p-kill"), "--ack-wait", "2s"]);
    await until("procs ready", () => presence(w.id), allReady);
    mark("ready");
    const id = await submit("slow", { ms: 4000 });
    const holder = await until("the job in flight", () => presence(w.id), (p) => !!p?.procs.some((x) => x.in_flight.some((j) => j.id === id)));
    mark("in flight");
    const victim = holder!.procs.find((x) => x.in_flight.some((j) => j.id === id))!;
    const t0 = Date.now();
    process.kill(victim.pid!, "SIGKILL");
    const after = await until("a new pid in the killed slot", () => presence(w.id), (p) => {
      const s = p?.procs.find((x) => x.name === victim.name);
      return !!s && s.pid !== victim.pid && s.state === "RUNNING";
    }, 5000);
    console.log(`  replacement ready after ${Date.now() - t0} ms (restarts ${after!.procs.find((x) => x.name === victim.name)!.restarts})`);
    mark("replaced");
    const r = await awaitResult(id);
    mark("result");
    expect(r.ok).toBe(true);
    expect(r.attempts).toBeGreaterThanOrEqual(2);
    expect((r.value as { pid: number }).pid).not.toBe(victim.pid);
    w.proc.kill("SIGTERM");
    expect(await exitOf(w)).toBe(0);
  }, T);

  test("a plugin that crashes on load makes its procs FATAL after the configured tries; the others keep serving", async () => {
    const w = startWorker("e2e-fatal", ["--procs", "1", "--dedicated", "crashy=1", "--max-fast-restarts", "2", "--plugins", pluginsDir("p-fatal")]);
    const p = await until("crashy-1 FATAL", () => presence(w.id), (x) => x?.procs.find((q) => q.name === "crashy-1")?.state === "FATAL");
    expect(p!.procs.find((q) => q.name === "crashy-1")!.restarts).toBe(2);
    expect(p!.procs.find((q) => q.name === "proc-1")!.restarts).toBe(0);
    await until("the FATAL report", () => w.stderr(), (s) => s.includes("crashy-1 is FATAL"), 3000);
    expect(w.stderr()).toContain("libcrashy.so: cannot open shared object file");
    const r = await awaitResult(await submit("echo", { hi: 1 }));
    expect(r).toMatchObject({ ok: true, value: { hi: 1 } });
    w.proc.kill("SIGTERM");
    expect(await exitOf(w)).toBe(0);
  }, T);

  test("SIGTERM during a slow job: the job finishes and its result is stored before the worker exits", async () => {
    const w = startWorker("e2e-term", ["--procs", "1", "--plugins", pluginsDir("p-term")]);
    await until("procs ready", () => presence(w.id), allReady);
    const id = await submit("slow", { ms: 3000 });
    await until("the job in flight", () => presence(w.id), (p) => p?.in_flight === 1);
    w.proc.kill("SIGTERM");
    expect(await exitOf(w)).toBe(0);
    const r = await result(id);
    expect(r?.ok).toBe(true);
    expect(await presence(w.id)).toBeUndefined();
  }, T);

  test("--max-jobs recycles procs without counting them as crashes", async () => {
    const w = startWorker("e2e-recycle", ["--procs", "1", "--concurrency", "1", "--max-jobs", "2"]);
    await until("procs ready", () => presence(w.id), allReady);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await submit("echo", { i }));
    for (const id of ids) expect((await awaitResult(id)).ok).toBe(true);
    const p = await until("two recycles", () => presence(w.id), (x) => (x?.procs[0]?.restarts ?? 0) >= 2);
    expect(p!.procs[0]!.state).not.toBe("FATAL");
    expect(w.stderr()).toContain("--max-jobs 2");
    expect(w.stderr()).not.toContain("FATAL");
    w.proc.kill("SIGTERM");
    expect(await exitOf(w)).toBe(0);
  }, T);

  test("--max-lifetime recycles a proc that has lived long enough", async () => {
    const w = startWorker("e2e-lifetime", ["--procs", "1", "--max-lifetime", "1500ms"]);
    await until("a recycle", () => presence(w.id), (x) => (x?.procs[0]?.restarts ?? 0) >= 1 && x?.procs[0]?.state === "RUNNING");
    expect(w.stderr()).toContain("(--max-lifetime)");
    expect(w.stderr()).not.toContain("FATAL");
    expect((await awaitResult(await submit("echo", { after: "recycle" }))).ok).toBe(true);
    w.proc.kill("SIGTERM");
    expect(await exitOf(w)).toBe(0);
  }, T);

  test("SIGHUP replaces every proc one by one; the job in flight finishes on the old proc", async () => {
    const w = startWorker("e2e-hup", ["--procs", "2", "--plugins", pluginsDir("p-hup")]);
    const before = await until("procs ready", () => presence(w.id), allReady);
    const oldPids = before!.procs.map((p) => p.pid);
    const id = await submit("slow", { ms: 3000 });
    await until("the job in flight", () => presence(w.id), (p) => p?.in_flight === 1);
    w.proc.kill("SIGHUP");
    const after = await until("two new procs", () => presence(w.id), (p) =>
      !!p && p.procs.length === 2 && p.procs.every((x) => x.state === "RUNNING" && !oldPids.includes(x.pid)));
    expect(after!.procs.map((p) => p.name).sort()).toEqual(["proc-1", "proc-2"]);
    const r = await awaitResult(id);
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(1);
    expect(oldPids).toContain((r.value as { pid: number }).pid);
    w.proc.kill("SIGTERM");
    expect(await exitOf(w)).toBe(0);
  }, T);

  test("a second SIGTERM stops at once; the interrupted job is redelivered to another worker", async () => {
    const dir = pluginsDir("p-second");
    const w = startWorker("e2e-second", ["--procs", "1", "--plugins", dir, "--ack-wait", "2s"]);
    await until("procs ready", () => presence(w.id), allReady);
    const id = await submit("stuck", { ms: 60_000 });
    await until("the job in flight", () => presence(w.id), (p) => p?.in_flight === 1);
    w.proc.kill("SIGTERM");
    await until("draining", () => presence(w.id), (p) => p?.state === "draining");
    w.proc.kill("SIGTERM");
    expect(await exitOf(w)).toBe(130);
    expect(w.stderr()).toContain("stopping now");
    expect(await result(id)).toBeUndefined();
    const w2 = startWorker("e2e-second-b", ["--procs", "1", "--plugins", dir, "--ack-wait", "2s"]);
    const r = await awaitResult(id);
    expect(r).toMatchObject({ ok: true, value: { attempt: 2 } });
    w2.proc.kill("SIGTERM");
    expect(await exitOf(w2)).toBe(0);
  }, T);

  test("--watch rolls the procs over to an edited plugin without losing a job", async () => {
    const dir = pluginsDir("p-watch", 1);
    const w = startWorker("e2e-watch", ["--procs", "1", "--plugins", dir, "--watch"]);
    await until("procs ready", () => presence(w.id), allReady);
    mark("ready");
    expect((await awaitResult(await submit("ver", {}))).value).toEqual({ v: 1 });
    const slow = await submit("ver", { ms: 3000 });
    await until("the slow job in flight", () => presence(w.id), (p) => p?.in_flight === 1);
    mark("slow job in flight; editing the plugin");
    writeVer(dir, 2);
    const ids: string[] = [];
    let seen = 0;
    await until("a v2 result", async () => {
      const id = await submit("ver", {});
      ids.push(id);
      const r = await awaitResult(id);
      seen = (r.value as { v: number }).v;
      mark(`result v${seen}`);
      return seen;
    }, (v) => v === 2, 20_000);
    expect((await awaitResult(slow)).value).toEqual({ v: 1 });
    for (const id of ids) expect((await awaitResult(id)).ok).toBe(true);
    expect(w.stderr()).toContain("rolling the procs over");
    w.proc.kill("SIGTERM");
    expect(await exitOf(w)).toBe(0);
  }, T);

  test("status, pause and resume through the CLI against a running worker", async () => {
    const w = startWorker("e2e-ctl", ["--procs", "1", "--plugins", pluginsDir("p-ctl")]);
    await until("procs ready", () => presence(w.id), allReady);
    const st = await cli("status");
    expect(st.code).toBe(0);
    expect(st.out).toContain("e2e-ctl  running");
    expect(st.out).toMatch(/proc-1\s+\d+\s+RUNNING/);
    expect(st.out).toMatch(/HANDLER\s+WAITING\s+IN FLIGHT\s+LAG/);

    const pa = await cli("pause", "e2e-ctl");
    expect(pa).toMatchObject({ code: 0 });
    expect(pa.out).toContain("e2e-ctl: paused");
    await until("paused procs", () => presence(w.id), (p) => p?.procs[0]?.loop === "paused");
    // A pull request already out when the pause came may still deliver (the loop runs what it is
    // given); they expire after the loop's pullExpiresMs (2 s).
    await Bun.sleep(2500);
    const id = await submit("slow", { ms: 1 });
    const json = await until("the job waiting while paused", async () => JSON.parse((await cli("status", "--json")).out), (s) =>
      s.handlers.some((h: { handler: string; pending: number }) => h.handler === "slow" && h.pending === 1));
    expect(json.workers.find((x: PresenceV1) => x.id === "e2e-ctl").state).toBe("paused");
    expect(await result(id)).toBeUndefined();

    expect((await cli("resume", "--all")).out).toContain("e2e-ctl: resumed");
    expect((await awaitResult(id)).ok).toBe(true);

    const missing = await cli("pause", "no-such-worker", "--timeout", "500ms");
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`no worker "no-such-worker" answers`);

    expect((await cli("drain", "e2e-ctl")).out).toContain("e2e-ctl: draining");
    expect(await exitOf(w)).toBe(0);
  }, T);

  test("a proc restarted while NATS is down waits for it instead of going FATAL", async () => {
    const w = startWorker("e2e-natsdown", ["--procs", "1"]);
    const p = await until("procs ready", () => presence(w.id), allReady);
    await nats.stop();
    process.kill(p!.procs[0]!.pid!, "SIGKILL");
    await until("the new proc waiting", () => w.stderr(), (s) => s.includes("waiting for NATS"), 10_000);
    // Long enough for four fast deaths in a row (the FATAL rule) had the proc been dying.
    await Bun.sleep(3000);
    expect(w.stderr()).not.toContain("FATAL");
    await nats.restart();
    const back = await until("the new proc running", () => presence(w.id).catch(() => undefined), (x) => allReady(x) && x!.procs[0]!.pid !== p!.procs[0]!.pid, 30_000);
    expect(back!.procs[0]!.restarts).toBe(1);
    expect((await awaitResult(await submit("echo", { after: "outage" }))).ok).toBe(true);
    w.proc.kill("SIGTERM");
    expect(await exitOf(w)).toBe(0);
  }, T);

  test("--pid-file: a live owner is refused with its pid; a dead owner's file is taken over", async () => {
    const pidFile = join(tmp.path, "run", "worker.pid");
    const w1 = startWorker("e2e-pid1", ["--procs", "1", "--pid-file", pidFile]);
    await until("procs ready", () => presence(w1.id), allReady);
    const second = await cli("worker", "--procs", "1", "--pid-file", pidFile, "--name", "e2e-pid2");
    expect(second.code).toBe(2);
    expect(second.err).toContain(`another worker is running with pid ${w1.proc.pid}`);
    // The parent dies hard: its procs notice the closed IPC channel, drain and exit by themselves.
    const procPids = (await presence(w1.id))!.procs.map((p) => p.pid!);
    w1.proc.kill("SIGKILL");
    await exitOf(w1);
    await until("orphaned procs gone", () => procPids.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } }), (l) => l.length === 0, 10_000);
    const w3 = startWorker("e2e-pid3", ["--procs", "1", "--pid-file", pidFile]);
    await until("procs ready", () => presence(w3.id), allReady);
    expect((await Bun.file(pidFile).text()).trim()).toBe(String(w3.proc.pid));
    w3.proc.kill("SIGTERM");
    expect(await exitOf(w3)).toBe(0);
    expect(await Bun.file(pidFile).exists()).toBe(false);
  }, T);
});
