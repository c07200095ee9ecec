// The core lifecycle through the compiled binary: submit, worker, results, retries, dead letters, bad input.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { encode } from "@msgpack/msgpack";
import { jetstream } from "@nats-io/jetstream";
import { startNatsServer, freePort, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, eventually, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let worker: Background;
const env = () => ({ DOCCTL_NATS_URL: nats.url });

// Plugins written the way docs/plugins.md tells users to.
const PLUGINS: Record<string, string> = {
  "count.ts": `import { appendFileSync } from "node:fs";
export default { handle(p: { n: number }) { appendFileSync(process.env.COUNT_FILE!, p.n + "\\n"); return { n: p.n }; } };`,
  "flaky.ts": `import { existsSync } from "node:fs";
export default { maxAttempts: 3, handle() { if (!existsSync(process.env.FIX_FILE!)) throw new Error("the disk is full"); return "fixed"; } };`,
  "sleepy.ts": `export default { timeoutMs: 200, maxAttempts: 1, async handle(_p: unknown, ctx: any) { await new Promise(r => setTimeout(r, 5000)); return "late"; } };`,
  "strict.ts": `export default { schema: { type: "object", required: ["name"], properties: { name: { type: "string" } } }, handle: (p: { name: string }) => "hello " + p.name };`,
  "bigdoc.ts": `export default async (p: { kb: number }, ctx: any) => { const b = new Uint8Array(p.kb * 1024).map((_, i) => i % 251); await ctx.output(b, { filename: "big.bin", contentType: "application/octet-stream" }); return p.kb; };`,
  "refuse.ts": `export default () => { throw Object.assign(new Error("that account is closed"), { code: "ACCOUNT_CLOSED", retryable: false }); };`,
};

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir();
  mkdirSync(join(dir.path, "plugins"));
  for (const [f, src] of Object.entries(PLUGINS)) writeFileSync(join(dir.path, "plugins", f), src);
  worker = spawnDocctl(["worker", "--plugins", join(dir.path, "plugins"), "--concurrency", "8", "--retry-base", "50ms", "-vv"], {
    env: { ...env(), COUNT_FILE: join(dir.path, "count.txt"), FIX_FILE: join(dir.path, "fixed") },
  });
  await worker.waitFor(/pulling/);
});

afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  dir?.cleanup();
});

const job = (name: string, body: unknown) => {
  const p = join(dir.path, name);
  writeFileSync(p, typeof body === "string" ? body : JSON.stringify(body));
  return p;
};

describe("submit and results", () => {
  test("one echo job comes back with its payload, accents and euro sign intact", async () => {
    const r = await docctl(["submit", job("one.json", { handler: "echo", payload: { name: "Zoë", total: "12,50 €" } }), "--json"], { env: env() });
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout.trim());
    expect(res).toMatchObject({ v: 1, handler: "echo", ok: true, value: { name: "Zoë", total: "12,50 €" }, attempts: 1 });
    expect(res.batch).toBe(res.id);
  });

  test("a batch's results come back in input order", async () => {
    const payloads = Array.from({ length: 30 }, (_, i) => ({ i }));
    const r = await docctl(["submit", job("batch.json", { handler: "echo", batch: payloads }), "--json"], { env: env() });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.value.i)).toEqual(payloads.map((p) => p.i));
  });

  test("re-submitting the same ids does not run the jobs again, and still returns their results", async () => {
    const file = job("dedupe.json", [1, 2, 3].map((n) => ({ handler: "count", id: `dedupe-${n}`, payload: { n } })));
    const first = await docctl(["submit", file, "--json"], { env: env() });
    expect(first.code).toBe(0);
    const second = await docctl(["submit", file], { env: env() });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("3 already submitted before (not run again)");
    expect(second.stdout).toContain("dedupe-2");
    expect(readFileSync(join(dir.path, "count.txt"), "utf8").trim().split("\n").sort()).toEqual(["1", "2", "3"]);
  });

  test("--no-wait prints the id at once; `docctl result ID` shows the result later", async () => {
    const r = await docctl(["submit", job("nowait.json", { handler: "echo", payload: 7, id: "later-1" }), "--no-wait"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("later-1");
    const shown = await eventually(async () => {
      const s = await docctl(["result", "later-1", "--json"], { env: env() });
      return s.code === 0 ? s : undefined;
    }, 10_000, "result of later-1");
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: "later-1", ok: true, value: 7 });
  });
});

describe("documents", () => {
  test("a document over the inline limit goes through the object store and arrives intact", async () => {
    const out = join(dir.path, "docs");
    const r = await docctl(["submit", job("big.json", { handler: "bigdoc", payload: { kb: 600 } }), "--out", out, "--json"], { env: env() });
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.output).toMatchObject({ bucket: "DOCCTL_OUTPUTS", size: 600 * 1024, filename: "big.bin" });
    const bytes = readFileSync(join(out, "big.bin"));
    expect(bytes.length).toBe(600 * 1024);
    expect(new Bun.CryptoHasher("sha256").update(bytes).digest("hex")).toBe(res.output.sha256);
  });
});

describe("failures", () => {
  test("a job whose handler throws is retried, then dead-lettered; dead retry runs it again", async () => {
    const r = await docctl(["submit", job("flaky.json", { handler: "flaky", payload: {}, id: "flaky-1" }), "--json"], { env: env() });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, attempts: 3, error: { code: "HANDLER_ERROR", message: "the disk is full", retryable: true } });
    const ls = await docctl(["dead", "ls"], { env: env() });
    expect(ls.stdout).toContain("flaky-1 [flaky] HANDLER_ERROR: the disk is full (attempts 3");
    writeFileSync(join(dir.path, "fixed"), "");
    const retry = await docctl(["dead", "retry", "flaky-1"], { env: env() });
    expect(retry.stdout).toContain("re-queued flaky-1");
    const fixed = await eventually(async () => {
      const s = await docctl(["result", "flaky-1", "--json"], { env: env() });
      return s.code === 0 ? JSON.parse(s.stdout) : undefined;
    }, 10_000, "the retried job's result");
    expect(fixed).toMatchObject({ ok: true, value: "fixed", attempts: 1 });
    expect((await docctl(["dead", "ls", "--json"], { env: env() })).stdout).not.toContain("flaky-1");
  });

  test("a handler's own non-retryable error code is kept and not retried", async () => {
    const r = await docctl(["submit", job("refuse.json", { handler: "refuse", payload: {} }), "--json"], { env: env() });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, attempts: 1, error: { code: "ACCOUNT_CLOSED", retryable: false } });
  });

  test("an attempt past its time limit fails with TIMEOUT", async () => {
    const r = await docctl(["submit", job("sleepy.json", { handler: "sleepy", payload: {} }), "--json"], { env: env() });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: "TIMEOUT", message: expect.stringContaining("200ms") });
  });

  test("a payload failing the handler's schema gets BAD_PAYLOAD at once", async () => {
    const r = await docctl(["submit", job("strict.json", { handler: "strict", payload: { name: 42 } }), "--json"], { env: env() });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ attempts: 1, error: { code: "BAD_PAYLOAD", message: "payload.name must be string", retryable: false } });
    const ok = await docctl(["submit", job("strict-ok.json", { handler: "strict", payload: { name: "Ana" } }), "--json"], { env: env() });
    expect(JSON.parse(ok.stdout).value).toBe("hello Ana");
  });

  test("undecodable bytes from a foreign client are dead-lettered with their id, and the worker keeps serving", async () => {
    const nc = await connect({ servers: nats.url });
    const js = jetstream(nc);
    await js.publish("docctl.tasks.echo", new Uint8Array([0xc1, 0xff, 0x00]), { msgID: "foreign-1" });
    await js.publish("docctl.tasks.echo", encode({ v: 1, id: "foreign-2", batch: "foreign-2", handler: "echo", submitted_at: "yesterday", payload: 1 }));
    await nc.close();
    const r1 = await eventually(async () => {
      const s = await docctl(["result", "foreign-1", "--json"], { env: env() });
      return s.stdout ? JSON.parse(s.stdout) : undefined;
    }, 10_000, "the foreign job's failed result");
    expect(r1.error).toMatchObject({ code: "BAD_MESSAGE", message: expect.stringContaining("not msgpack") });
    const r2 = await eventually(async () => {
      const s = await docctl(["result", "foreign-2", "--json"], { env: env() });
      return s.stdout ? JSON.parse(s.stdout) : undefined;
    }, 10_000, "the second foreign job's failed result");
    expect(r2.error.message).toContain(`field "submitted_at" must be a number`);
    const dead = await docctl(["dead", "ls"], { env: env() });
    expect(dead.stdout).toContain("undecodable");
    const ok = await docctl(["submit", "-", "--json"], { env: env(), stdin: `{"handler":"echo","payload":"still here"}` });
    expect(JSON.parse(ok.stdout).value).toBe("still here");
  });
});

describe("bad input gets a clear answer and an exit code", () => {
  test("malformed JSON: file:line:col, exit 2", async () => {
    const r = await docctl(["submit", job("bad.json", `{\n  "handler": "echo",\n  "payload": {"a": 1,,}\n}`)], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json:3:\d+: malformed JSON/);
  });
  test("unknown handler: names it and lists the known ones, exit 2", async () => {
    const r = await docctl(["submit", job("unknown.json", { handler: "nosuch", payload: {} })], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown handler "nosuch"`);
    expect(r.stderr).toContain("echo");
  });
  test("a payload over the server's size limit, exit 2", async () => {
    const r = await docctl(["submit", job("big.json", { handler: "echo", payload: "x".repeat(1_100_000) })], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/over the server's limit of \d+ bytes/);
    expect(r.stderr).toMatch(/big\.json: job \[0\] \("[^"]+"\) is \d+ bytes encoded/); // names the file, as a parse error does
  });
  test("NATS unreachable: says where and what to do, exit 4", async () => {
    const port = await freePort();
    const r = await docctl(["submit", job("one2.json", { handler: "echo", payload: 1 }), "--nats", `nats://127.0.0.1:${port}`]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`cannot reach NATS at nats://127.0.0.1:${port}`);
    expect(r.stderr).toContain("docctl up");
  });
  test("waiting longer than --timeout: exit 3, the job stays queued", async () => {
    // `count2` is registered by a worker that is then stopped: the job waits with nobody to run it.
    const pdir = join(dir.path, "p2");
    mkdirSync(pdir);
    writeFileSync(join(pdir, "parked.ts"), `export default () => "ran";`);
    const w = spawnDocctl(["worker", "--plugins", pdir, "--handlers", "parked", "-v"], { env: env() });
    await w.waitFor(/pulling/);
    await w.stop();
    const r = await docctl(["submit", job("parked.json", { handler: "parked", payload: {}, id: "parked-1" }), "--timeout", "500ms"], { env: env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("timed out after 500ms");
    const w2 = spawnDocctl(["worker", "--plugins", pdir, "--handlers", "parked"], { env: env() });
    const later = await eventually(async () => {
      const s = await docctl(["result", "parked-1", "--json"], { env: env() });
      return s.code === 0 ? JSON.parse(s.stdout) : undefined;
    }, 10_000, "the parked job to run once a worker is back");
    expect(later.value).toBe("ran");
    await w2.stop();
  });
  test("unknown options and bad values are named, exit 2", async () => {
    const r = await docctl(["worker", "--concurency", "3"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--concurency");
    const r2 = await docctl(["worker", "--concurrency", "lots"], { env: env() });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`--concurrency: must be a whole number of at least 1 (got "lots")`);
    const r3 = await docctl(["worker", "--plugins", join(dir.path, "nope")], { env: env() });
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain("cannot read the directory");
  });
});

describe("long jobs", () => {
  test("a job running longer than the ack wait is heartbeated, not redelivered", async () => {
    const pdir = join(dir.path, "p4");
    mkdirSync(pdir);
    const starts = join(dir.path, "long-starts.txt");
    writeFileSync(
      join(pdir, "long.ts"),
      `import { appendFileSync } from "node:fs";
export default { async handle(_p: unknown, ctx: any) { appendFileSync(${JSON.stringify(starts)}, ctx.attempt + "\\n"); await new Promise(r => setTimeout(r, 2500)); return "long done"; } };`,
    );
    const w = spawnDocctl(["worker", "--plugins", pdir, "--handlers", "long", "--ack-wait", "1s", "--concurrency", "2", "-v"], { env: env() });
    await w.waitFor(/pulling/);
    const r = await docctl(["submit", job("long.json", { handler: "long", payload: {} }), "--json"], { env: env() });
    await w.stop();
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, value: "long done", attempts: 1 });
    expect(readFileSync(starts, "utf8").trim().split("\n")).toEqual(["1"]);
  });
});

describe("crashes", () => {
  test("a worker killed with SIGKILL mid-job: the job is redelivered and finishes once", async () => {
    const pdir = join(dir.path, "p3");
    mkdirSync(pdir);
    const starts = join(dir.path, "starts.txt");
    writeFileSync(
      join(pdir, "slowkill.ts"),
      `import { appendFileSync } from "node:fs";
export default { async handle(_p: unknown, ctx: any) { appendFileSync(${JSON.stringify(starts)}, ctx.attempt + "\\n"); await new Promise(r => setTimeout(r, 800)); return "survived"; } };`,
    );
    // --procs 0: the worker runs in this one process, so SIGKILL really kills the job's process. (Under
    // the supervisor, procs whose parent is SIGKILLed finish their jobs and exit; proc kills are in worker.test.ts.)
    const args = ["worker", "--procs", "0", "--plugins", pdir, "--handlers", "slowkill", "--ack-wait", "1s", "-vvv"];
    const a = spawnDocctl(args, { env: env() });
    await a.waitFor(/pulling/);
    const sub = docctl(["submit", job("slowkill.json", { handler: "slowkill", payload: {}, id: "victim-1" }), "--json", "--timeout", "30s"], { env: env() });
    await eventually(() => existsSync(starts), 10_000, "the job to start");
    a.proc.kill("SIGKILL");
    await a.proc.exited;
    const b = spawnDocctl(args, { env: env() });
    const r = await sub!;
    await b.stop();
    expect(r.code).toBe(0);
    const results = r.stdout.trim().split("\n");
    expect(results).toHaveLength(1);
    expect(JSON.parse(results[0]!)).toMatchObject({ id: "victim-1", ok: true, value: "survived", attempts: 2 });
    expect(readFileSync(starts, "utf8").trim().split("\n")).toEqual(["1", "2"]);
  });

  test("a job that kills its worker every time ends as ATTEMPTS_EXHAUSTED instead of looping", async () => {
    const pdir = join(dir.path, "p5");
    mkdirSync(pdir);
    writeFileSync(join(pdir, "poison.ts"), `export default { maxAttempts: 2, handle() { process.exit(3); } };`);
    const args = ["worker", "--plugins", pdir, "--handlers", "poison", "--ack-wait", "1s", "-v"];
    // Each delivery kills the worker; start a new one until the job is settled (3 deliveries at most).
    let sub: ReturnType<typeof docctl> | undefined;
    for (let i = 0; i < 3; i++) {
      const w = spawnDocctl(args, { env: env() });
      await w.waitFor(/pulling/);
      sub ??= docctl(["submit", job("poison.json", { handler: "poison", payload: {}, id: "poison-1" }), "--json", "--timeout", "40s"], { env: env() });
      const code = await Promise.race([w.proc.exited, sub.then(() => w.stop())]);
      if (code !== 3) break;
    }
    const r = await sub!;
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: "poison-1", ok: false, attempts: 3, error: { code: "ATTEMPTS_EXHAUSTED", retryable: false } });
    expect((await docctl(["dead", "ls"], { env: env() })).stdout).toContain("poison-1 [poison] ATTEMPTS_EXHAUSTED");
  });
});
