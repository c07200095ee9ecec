// Ctrl-C on `docctl up` the way a terminal sends it: SIGINT to the whole process group. The workers
// drain (the job in flight finishes and its result is stored), then the manager and the server stop.
import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { BIN, eventually } from "../helpers/cli.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { listWorkers } from "../../core/runtime/client/fleet.ts";

test("SIGINT to docctl up's process group lets a 6 s job finish with its result stored, then everything stops", async () => {
  const dir = tempDir("docctl-up-int-");
  mkdirSync(join(dir.path, "plugins"));
  writeFileSync(join(dir.path, "plugins", "six.ts"), `export default async () => { await Bun.sleep(6000); return { slept: 6000 }; };\n`);
  writeFileSync(join(dir.path, "job.json"), JSON.stringify({ handler: "six", id: "six-1", payload: {} }));
  const url = `nats://127.0.0.1:${await freePort()}`;
  // its own process group, as a shell gives a foreground job: the group's SIGINT is Ctrl-C
  const up = Bun.spawn([BIN, "up", "--nats", url, "--dir", join(dir.path, ".docctl"), "--plugins", join(dir.path, "plugins")], {
    cwd: dir.path,
    stdout: "pipe",
    stderr: "pipe",
    detached: true,
  });
  let out = "";
  void (async () => {
    for await (const c of up.stderr as ReadableStream<Uint8Array>) out += new TextDecoder().decode(c);
  })();
  let submit: ReturnType<typeof Bun.spawn> | undefined;
  try {
    await eventually(() => /ready: handlers/.test(out), 30_000, "docctl up ready");
    // the submitter is not in up's group (another terminal): it waits for the result
    submit = Bun.spawn([BIN, "submit", join(dir.path, "job.json"), "--nats", url, "--json", "--timeout", "60s"], { stdout: "pipe", stderr: "pipe" });
    const nc = await connectNats({ url, reconnectForever: false });
    await eventually(async () => (await listWorkers(nc)).some((w) => w.in_flight === 1), 30_000, "the job in flight in a worker");
    await nc.close();

    process.kill(-up.pid, "SIGINT");
    const [stdout, code] = await Promise.all([new Response(submit.stdout as ReadableStream).text(), submit.exited]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim())).toMatchObject({ id: "six-1", ok: true, value: { slept: 6000 }, attempts: 1 });
    const upCode = await Promise.race([up.exited, Bun.sleep(40_000).then(() => "still running" as const)]);
    expect(upCode).toBe(0);
    expect(out).toContain("stopping: draining the workers");
    expect(out).toContain("nats-server stopped");
    expect(out).not.toContain("stopping now");
  } finally {
    try {
      process.kill(-up.pid, "SIGKILL");
    } catch {
      /* gone */
    }
    submit?.kill("SIGKILL");
    dir.cleanup();
  }
}, 120_000);

test("a second Ctrl-C stops docctl up at once (exit 130), without waiting for the job in flight", async () => {
  const dir = tempDir("docctl-up-int2-");
  mkdirSync(join(dir.path, "plugins"));
  // far longer than the test: only a stop that does not wait for it can end in time
  writeFileSync(join(dir.path, "plugins", "forever.ts"), `export default async () => { await Bun.sleep(600_000); return 1; };\n`);
  writeFileSync(join(dir.path, "job.json"), JSON.stringify({ handler: "forever", id: "forever-1", payload: {} }));
  const url = `nats://127.0.0.1:${await freePort()}`;
  const up = Bun.spawn([BIN, "up", "--nats", url, "--dir", join(dir.path, ".docctl"), "--plugins", join(dir.path, "plugins")], {
    cwd: dir.path,
    stdout: "pipe",
    stderr: "pipe",
    detached: true,
  });
  let out = "";
  void (async () => {
    for await (const c of up.stderr as ReadableStream<Uint8Array>) out += new TextDecoder().decode(c);
  })();
  try {
    await eventually(() => /ready: handlers/.test(out), 30_000, "docctl up ready");
    const sub = Bun.spawn([BIN, "submit", join(dir.path, "job.json"), "--nats", url, "--no-wait"], { stdout: "pipe", stderr: "pipe" });
    expect(await sub.exited).toBe(0);
    const nc = await connectNats({ url, reconnectForever: false });
    await eventually(async () => (await listWorkers(nc)).some((w) => w.in_flight === 1), 30_000, "the job in flight in a worker");
    await nc.close();
    process.kill(-up.pid, "SIGINT");
    await eventually(() => out.includes("stopping: draining the workers"), 10_000, "the drain to begin");
    process.kill(-up.pid, "SIGINT");
    const code = await Promise.race([up.exited, Bun.sleep(45_000).then(() => "still running" as const)]);
    expect(code).toBe(130);
    expect(out).toContain("SIGINT again: stopping now");
    expect(out).toContain("nats-server stopped");
  } finally {
    try {
      process.kill(-up.pid, "SIGKILL");
    } catch {
      /* gone */
    }
    dir.cleanup();
  }
}, 120_000);
