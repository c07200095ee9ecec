// The console's actions and states that test/ops/dashboard.test.ts does not click, in a real headless
// Chromium against the compiled binary and a real nats-server: pause, resume and drain of a worker
// from its row, drain of a handler, pause and resume of a schedule, each checked on the server (what
// is delivered, what fires, who stopped) and in the audit list; and per-proc "unresponsive" (a handler
// that blocks its proc's event loop) and a worker gone "stale" (its supervisor stopped with SIGSTOP, so
// its presence entry is neither rewritten nor deleted), produced for real and seen on the page and in
// /api/overview.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { docctl, eventually, spawnDocctl, type Background } from "../helpers/cli.ts";
import { freePort, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { STREAM_TASKS, scheduleSubjects } from "../../core/runtime/protocol/subjects.ts";

const CHROMIUM = process.env.DOCCTL_CHROMIUM ?? "/usr/bin/chromium";
const TOKEN = "ops:console-actions-7c1e";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console action tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set DOCCTL_CHROMIUM)`);

type AuditEntry = { action: string; target: string; ok: boolean; who: string; detail: string };
type OverviewWorker = { id: string; state: string; stale: boolean; expired_at?: number; procs: { name: string; loop: string | null; restarts: number; watchdog_kills?: number }[] };

describe.skipIf(!haveChromium)("the console's actions and proc states", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let w1: Background; // serves the page; has slow and spin
  let w2: Background; // has hold only: the drain target, and the sentinel that shows time has passed
  let browser: Browser;
  let page: Page;
  let base: string;
  const dir = tempDir("docctl-console-actions-");
  const pluginsA = join(dir.path, "a");
  const pluginsB = join(dir.path, "b");

  const submit = async (jobs: unknown, ...flags: string[]) => {
    const r = await docctl(["submit", "-", "--nats", ns.url, ...flags], { stdin: JSON.stringify(jobs), timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    return r;
  };
  const consumer = async (handler: string) => (await jetstreamManager(nc)).consumers.info(STREAM_TASKS, `docctl-${handler}`);
  const resultOk = async (id: string) => {
    const r = await docctl(["result", id, "--nats", ns.url, "--json"]);
    return r.code === 0 && JSON.parse(r.stdout).ok === true;
  };
  const message = async () => (await page.locator("#message").textContent()) ?? "";
  const audit = async () => (await (await fetch(`${base}/api/audit`)).json()).entries as AuditEntry[];
  const workers = async () => (await (await fetch(`${base}/api/overview`)).json()).workers as OverviewWorker[];
  // a job of another worker's handler, run to its end: deliveries went on meanwhile
  const sentinel = async (id: string) => submit({ id, handler: "hold", payload: { ms: 10 } }, "--json");

  beforeAll(async () => {
    ({ ns, nc } = await setup());
    mkdirSync(pluginsA);
    mkdirSync(pluginsB);
    // slow and hold wait p.ms, or until the file p.gate exists (the test opens it when it has seen what it needs)
    const waiting = `import { existsSync } from "node:fs";
      export default async (p: any) => {
        if (p.gate) while (!existsSync(p.gate)) await new Promise((r) => setTimeout(r, 50));
        else await new Promise((r) => setTimeout(r, p.ms));
        return p.n ?? 0;
      };`;
    writeFileSync(join(pluginsA, "slow.ts"), waiting);
    // blocks its proc's event loop for p.ms: the proc's heartbeats stop while it spins
    writeFileSync(join(pluginsA, "spin.ts"), `export default { maxAttempts: 1, handle(p: any) { const end = Date.now() + p.ms; let x = 0; while (Date.now() < end) x++; return x; } };`);
    writeFileSync(join(pluginsB, "hold.ts"), waiting);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    w1 = spawnDocctl(["worker", "--procs", "2", "--concurrency", "2", "--nats", ns.url, "--plugins", pluginsA, "--http", `127.0.0.1:${port}`, "--http-token", TOKEN, "--name", "ca-w1", "-v"]);
    w2 = spawnDocctl(["worker", "--procs", "1", "--concurrency", "1", "--nats", ns.url, "--plugins", pluginsB, "--name", "ca-w2", "-v"]);
    await Promise.all([w1.waitFor(/pulling/, 90_000), w2.waitFor(/pulling/, 90_000)]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // the token once (kept in the tab's sessionStorage across navigations)
    await page.goto(base);
    await page.locator("#token").fill(TOKEN);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await w1?.stop();
    await w2?.stop();
    await nc?.close();
    await ns?.cleanup();
    dir.cleanup();
  });

  test("pause of a worker from its row stops its deliveries; resume runs the jobs that waited; both audited", async () => {
    await page.goto(base);
    const row = page.locator('[data-testid="worker-row"][data-id="ca-w1"]');
    await row.getByRole("button", { name: "pause ca-w1" }).click();
    await eventually(async () => /pause ca-w1: 1 worker\(s\) answered: ca-w1 paused/.test(await message()), 30_000, "paused message");
    await eventually(async () => (await row.getAttribute("data-state")) === "paused", 30_000, "row says paused");
    expect((await workers()).find((w) => w.id === "ca-w1")?.state).toBe("paused");

    await submit(Array.from({ length: 4 }, (_, n) => ({ id: `wp-${n}`, handler: "slow", payload: { ms: 10, n } })), "--no-wait");
    await sentinel("wp-sentinel");
    const held = await consumer("slow");
    expect(held.num_pending).toBe(4);
    expect(held.num_ack_pending).toBe(0);

    await row.getByRole("button", { name: "resume ca-w1" }).click();
    await eventually(async () => /resume ca-w1: 1 worker\(s\) answered: ca-w1 running/.test(await message()), 30_000, "resumed message");
    await eventually(async () => (await consumer("slow")).num_pending === 0 && (await consumer("slow")).num_ack_pending === 0, 30_000, "the held jobs delivered");
    for (let n = 0; n < 4; n++) await eventually(() => resultOk(`wp-${n}`), 20_000, `wp-${n} done`);
    const a = await audit();
    expect(a.filter((e) => e.target === "ca-w1").map((e) => [e.action, e.ok, e.who])).toEqual([["worker.resume", true, "ops"], ["worker.pause", true, "ops"]]);
  }, 120_000);

  test("drain of a handler from the page lets its job in flight finish, then delivers nothing more until resumed", async () => {
    const gate = join(dir.path, "hd-gate");
    await submit({ id: "hd-1", handler: "slow", payload: { gate } }, "--no-wait");
    await eventually(async () => (await consumer("slow")).num_ack_pending === 1, 20_000, "hd-1 in flight");
    await page.goto(base);
    const row = page.locator('[data-testid="queue-row"][data-handler="slow"]');
    await row.getByRole("button", { name: "drain slow" }).click();
    // paused at once on the server; the answer waits for hd-1, which is still running
    await eventually(async () => (await consumer("slow")).paused === true, 20_000, "slow paused on the server");
    expect(await message()).not.toMatch(/drain slow:/);
    expect((await consumer("slow")).num_ack_pending).toBe(1);
    writeFileSync(gate, "");
    // the answer comes once nothing is in flight: hd-1 was not cut
    await eventually(async () => /drain slow: paused; nothing in flight/.test(await message()), 45_000, "drained message");
    expect(await resultOk("hd-1")).toBe(true);
    expect((await consumer("slow")).paused).toBe(true);
    await submit({ id: "hd-2", handler: "slow", payload: { ms: 10 } }, "--no-wait");
    await sentinel("hd-sentinel");
    expect((await consumer("slow")).num_pending).toBe(1);
    expect((await consumer("slow")).num_ack_pending).toBe(0);
    await row.getByRole("button", { name: "resume slow" }).click();
    await eventually(() => resultOk("hd-2"), 30_000, "hd-2 runs after resume");
    expect((await audit()).find((e) => e.action === "handler.drain" && e.target === "slow")).toMatchObject({ ok: true, who: "ops", detail: "paused; nothing in flight" });
    // the job, opened by its whole id from the job browser
    await page.goto(`${base}/#jobs`);
    await page.getByLabel("open a job by its whole id").fill("hd-1");
    await page.getByRole("button", { name: "Open" }).click();
    await eventually(async () => (await page.locator("#job-id").textContent()) === "hd-1" && /state\s*done/.test((await page.locator("#job-facts").textContent()) ?? ""), 30_000, "hd-1's page");
    await page.goto(`${base}/#jobs`);
    await page.getByLabel("open a job by its whole id").fill("no-such-job");
    await page.getByRole("button", { name: "Open" }).click();
    await eventually(async () => ((await page.locator("#job-facts").textContent()) ?? "").includes('no job "no-such-job" is known'), 30_000, "the unknown id named");
  }, 120_000);

  test("drain of a worker from its row (typed confirmation): its job in flight finishes, it takes no more and exits", async () => {
    const gate = join(dir.path, "wd-gate");
    await submit([{ id: "wd-1", handler: "hold", payload: { gate } }], "--no-wait");
    await eventually(async () => (await consumer("hold")).num_ack_pending === 1, 20_000, "wd-1 in flight");
    await submit([{ id: "wd-2", handler: "hold", payload: { ms: 10 } }], "--no-wait");
    await page.goto(base);
    const row = page.locator('[data-testid="worker-row"][data-id="ca-w2"]');
    let typed = "ca-w3";
    page.on("dialog", (d) => void d.accept(typed));
    try {
      // a wrong word: nothing sent
      await row.getByRole("button", { name: "drain ca-w2" }).click();
      await eventually(async () => /drain ca-w2 failed: drain stops worker ca-w2 .*repeat its id/.test(await message()), 20_000, "refused");
      expect(w2.proc.exitCode).toBeNull();
      typed = "ca-w2";
      await row.getByRole("button", { name: "drain ca-w2" }).click();
      await eventually(async () => /drain ca-w2: 1 worker\(s\) answered: ca-w2 draining/.test(await message()), 30_000, "draining message");
    } finally {
      page.removeAllListeners("dialog");
    }
    // draining: wd-1 still runs, the worker is still there, wd-2 is not taken
    await eventually(async () => (await row.getAttribute("data-state")) === "draining", 30_000, "row says draining");
    expect(w2.proc.exitCode).toBeNull();
    expect((await consumer("hold")).num_pending).toBe(1);
    writeFileSync(gate, "");
    expect(await w2.proc.exited).toBe(0);
    expect(await resultOk("wd-1")).toBe(true);
    // wd-2 was never taken: it waits for another worker
    const c = await consumer("hold");
    expect(c.num_pending).toBe(1);
    expect(c.num_ack_pending).toBe(0);
    // a clean stop deletes its presence: gone from the page, not shown stale
    await eventually(async () => (await row.count()) === 0, 20_000, "ca-w2 gone from the page");
    const a = (await audit()).filter((e) => e.action === "worker.drain");
    expect(a.map((e) => [e.target, e.ok, e.who])).toContainEqual(["ca-w2", true, "ops"]);
  }, 120_000);

  test("a proc whose event loop is blocked shows as unresponsive on the page and in /api/overview, and answers again after", async () => {
    // both procs' counters are in the worker's scrape (each proc answers the parent's /metrics)
    const procsIn = (m: string) => [...new Set([...m.matchAll(/^docctl_jobs_done_total\{proc="([^"]+)"/gm)].map((x) => x[1]))].sort();
    await eventually(async () => procsIn(await (await fetch(`${base}/metrics`)).text()).length === 2, 30_000, "both procs in /metrics");
    // a long limit: the watchdog only waits (it kills a proc silent past its job's limit plus the grace)
    await submit({ id: "spin-1", handler: "spin", timeout_ms: 120_000, payload: { ms: 12_000 } }, "--no-wait");
    await page.goto(base);
    const stuck = page.locator('[data-testid="proc-row"][data-loop="unresponsive"]');
    await stuck.waitFor({ timeout: 30_000 });
    expect(await stuck.textContent()).toContain("unresponsive");
    const viaApi = await eventually(async () => (await workers()).find((w) => w.id === "ca-w1")?.procs.find((p) => p.loop === "unresponsive"), 30_000, "unresponsive in /api/overview");
    expect(viaApi.restarts).toBe(0);
    // the blocked proc cannot answer the parent's scrape: its series come from its last answer, not dropped
    expect(procsIn(await (await fetch(`${base}/metrics`)).text())).toEqual(["proc-1", "proc-2"]);
    // the spin ends, the loop answers again: no kill, no restart
    await eventually(() => resultOk("spin-1"), 40_000, "spin-1 done");
    await eventually(async () => (await page.locator('[data-testid="proc-row"][data-loop="unresponsive"]').count()) === 0, 20_000, "answering again");
    const w = (await workers()).find((x) => x.id === "ca-w1")!;
    expect(w.procs.map((p) => [p.restarts, p.watchdog_kills ?? 0])).toEqual([[0, 0], [0, 0]]);
  }, 90_000);

  test("a worker whose supervisor is stopped (SIGSTOP) turns stale, stays on the page after its presence expires, and comes back with SIGCONT", async () => {
    const w3 = spawnDocctl(["worker", "--procs", "1", "--nats", ns.url, "--plugins", pluginsB, "--name", "ca-w3", "-v"]);
    try {
      await w3.waitFor(/pulling/, 90_000);
      await page.goto(base);
      const row = page.locator('[data-testid="worker-row"][data-id="ca-w3"]');
      await row.waitFor({ timeout: 40_000 });
      expect(await row.getAttribute("data-state")).not.toBe("stale");
      process.kill(w3.proc.pid, "SIGSTOP");
      // not rewritten for 12 s: stale
      await eventually(async () => (await row.getAttribute("data-state")) === "stale", 40_000, "stale on the page");
      expect(await row.textContent()).toMatch(/no presence for \d+s/);
      // the bucket's TTL (15 s) drops the entry: still shown, stale, as expired (no delete marker)
      const gone = await eventually(async () => (await workers()).find((w) => w.id === "ca-w3" && w.expired_at !== undefined), 40_000, "expired in /api/overview");
      expect(gone.stale).toBe(true);
      await eventually(async () => /entry expired: not stopped cleanly/.test((await row.textContent()) ?? ""), 30_000, "expired on the page");
      expect(await row.getAttribute("data-state")).toBe("stale");
      process.kill(w3.proc.pid, "SIGCONT");
      await eventually(async () => {
        const w = (await workers()).find((x) => x.id === "ca-w3");
        return w !== undefined && !w.stale && w.expired_at === undefined;
      }, 30_000, "presence written again");
      await eventually(async () => (await row.getAttribute("data-state")) !== "stale", 30_000, "not stale on the page");
    } finally {
      if (w3.proc.exitCode === null) process.kill(w3.proc.pid, "SIGCONT");
      expect(await w3.stop()).toBe(0);
    }
  }, 240_000);

  test("a schedule is paused and resumed from the page: nothing is left on the server to fire while paused; it fires again once resumed", async () => {
    const file = join(dir.path, "tick.json");
    writeFileSync(file, JSON.stringify({ handler: "slow", payload: { ms: 10 } }));
    expect((await docctl(["schedule", "add", "tick", "--every", "2s", file, "--nats", ns.url])).code).toBe(0);
    const scheduleMsgs = async () => Object.keys((await (await jetstreamManager(nc)).streams.info(STREAM_TASKS, { subjects_filter: scheduleSubjects("tick") })).state.subjects ?? {}).length;
    const doneTicks = async () => ((await (await fetch(`${base}/api/jobs?state=done&q=sched-tick-`)).json()).jobs as { id: string }[]).map((j) => Number(j.id.split("-").pop()));
    try {
      expect(await scheduleMsgs()).toBe(1);
      await eventually(async () => (await doneTicks()).length > 0, 30_000, "a tick done");
      // the same safety as every action: token, JSON, same origin; a refused one changes nothing
      const post = (headers: Record<string, string>) => fetch(`${base}/api/schedules/pause`, { method: "POST", headers, body: JSON.stringify({ name: "tick" }) }).then((r) => r.status);
      expect(await post({ "content-type": "application/json" })).toBe(401);
      expect(await post({ "content-type": "text/plain", authorization: `Bearer ${TOKEN}` })).toBe(415);
      expect(await post({ "content-type": "application/json", authorization: `Bearer ${TOKEN}`, origin: "http://evil.example" })).toBe(403);
      expect(await scheduleMsgs()).toBe(1);
      // a schedule that does not exist: a precise error
      const none = await fetch(`${base}/api/schedules/pause`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` }, body: '{"name":"nosuch"}' });
      expect(none.status).toBe(404);
      expect((await none.json()).error).toBe('no schedule "nosuch" (docctl schedule ls lists them)');
      await page.goto(`${base}/#schedules`);
      const row = page.locator('[data-testid="schedule-row"][data-name="tick"]');
      await row.waitFor({ timeout: 30_000 });
      await row.getByRole("button", { name: "pause schedule tick" }).click();
      await eventually(async () => /pause schedule tick: schedule tick paused: nothing fires until it is resumed/.test(await message()), 30_000, "paused message");
      expect(await scheduleMsgs()).toBe(0);
      const listed = JSON.parse((await docctl(["schedule", "ls", "--json", "--nats", ns.url])).stdout) as { name: string; paused?: boolean }[];
      expect(listed.find((s) => s.name === "tick")?.paused).toBe(true);
      await eventually(async () => (await row.getAttribute("data-paused")) === "yes", 30_000, "row says paused");
      expect(await row.textContent()).toContain("paused: nothing fires");

      const resumedAt = Date.now();
      await row.getByRole("button", { name: "resume schedule tick" }).click();
      await eventually(async () => /resume schedule tick: schedule tick resumed/.test(await message()), 30_000, "resumed message");
      expect(await scheduleMsgs()).toBe(1);
      await eventually(async () => (await doneTicks()).some((t) => t >= resumedAt - 1000), 30_000, "a tick after the resume done");
      await eventually(async () => (await row.getAttribute("data-paused")) === "no", 30_000, "row says active");
      const a = (await audit()).filter((e) => e.target === "tick").map((e) => [e.action, e.ok, e.who]);
      // the refused requests never reached the action: only the page's two are listed
      expect(a).toEqual([["schedule.resume", true, "ops"], ["schedule.pause", true, "ops"]]);
    } finally {
      await docctl(["schedule", "rm", "tick", "--nats", ns.url]);
    }
  }, 120_000);

  test("the page's assets come from the binary: no inline script, a CSP that allows none", async () => {
    const html = await (await fetch(base)).text();
    expect(html).toContain('<script src="console.js"></script>');
    expect(html).not.toMatch(/<script>/);
    expect(html).not.toMatch(/https?:\/\//);
    for (const [path, type] of [["/console.js", "text/javascript"], ["/console.css", "text/css"]] as const) {
      const r = await fetch(base + path);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain(type);
      expect(r.headers.get("content-security-policy")).toContain("script-src 'self';");
      expect((await r.text()).length).toBeGreaterThan(1000);
    }
  });
});
