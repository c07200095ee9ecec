// The operators' console in a real headless Chromium, against the compiled binary: history that
// survives the worker (reload after an incident still shows it), the job browser over 10 000 jobs,
// pausing a handler from the page, a cross-site action refused, the token, the audit list, the
// manager's page, and the example Grafana dashboard against real scrapes. Screenshots go to docs/
// with DOCCTL_UPDATE_SCREENSHOTS=1, else to a temp dir, so a test run never changes the work tree.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { docctl, eventually, ROOT, spawnDocctl, type Background } from "../helpers/cli.ts";
import { freePort, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { parseMetrics } from "../helpers/prometheus.ts";
import { tempDir } from "../helpers/tmp.ts";
import { STREAM_TASKS } from "../../core/runtime/protocol/subjects.ts";

const CHROMIUM = process.env.DOCCTL_CHROMIUM ?? "/usr/bin/chromium";
const SECRET = "dash-token-4f9a2c";
const TOKEN = `ops:${SECRET}`;
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set DOCCTL_CHROMIUM)`);
const shots = process.env.DOCCTL_UPDATE_SCREENSHOTS ? join(ROOT, "docs") : tempDir("dashboard-shot-").path;
const ENV = { DOCCTL_HISTORY_INTERVAL: "2s" };

describe.skipIf(!haveChromium)("the operators' console", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let worker: Background;
  let browser: Browser;
  let page: Page;
  let port: number;
  let base: string;
  const dir = tempDir("docctl-dash-");
  const plugins = join(dir.path, "plugins");
  const gateFile = join(dir.path, "open");

  const startWorker = () =>
    spawnDocctl(
      ["worker", "--procs", "2", "--nats", ns.url, "--plugins", plugins, "--concurrency", "4", "--retry-base", "100ms", "--watchdog-grace", "1s", "--http", `127.0.0.1:${port}`, "--http-token", TOKEN, "--name", "dash-worker-1", "-v"],
      { env: ENV },
    );
  const submit = async (jobs: unknown, ...flags: string[]) => {
    const r = await docctl(["submit", "-", "--nats", ns.url, "--no-wait", ...flags], { stdin: JSON.stringify(jobs), timeoutMs: 120_000 });
    expect(r.code).toBe(0);
  };
  const consumer = async (handler: string) => (await (await jetstreamManager(nc)).consumers.info(STREAM_TASKS, `docctl-${handler}`));

  beforeAll(async () => {
    ({ ns, nc } = await setup());
    mkdirSync(plugins);
    // fails for good until the file named in the payload exists
    writeFileSync(
      join(plugins, "gate.ts"),
      `import { existsSync } from "node:fs";
       export default { maxAttempts: 1, handle(p: any) {
         if (!existsSync(p.file)) throw Object.assign(new Error("the gate is closed"), { code: "GATE_CLOSED", retryable: false });
         return "passed";
       } };`,
    );
    // fails every attempt with a retryable error: three attempts, then a dead letter
    writeFileSync(join(plugins, "flaky.ts"), `export default { maxAttempts: 3, handle(_p: any, ctx: any) { ctx.log.info("calling upstream, attempt " + ctx.attempt); throw Object.assign(new Error("upstream said 503"), { code: "UPSTREAM_DOWN", retryable: true }); } };`);
    // a dedicated proc for it dies at start (a broken native library, say): restarted, then FATAL
    writeFileSync(join(plugins, "crashy.ts"), `if (process.argv.includes("--child") && process.argv.join(" ").includes("--handlers crashy")) process.exit(3);\nexport default () => "never";`);
    // blocks its proc's event loop: the watchdog kills the proc
    writeFileSync(join(plugins, "spin.ts"), `export default { maxAttempts: 1, handle(p: any) { const end = Date.now() + p.ms; let x = 0; while (Date.now() < end) x++; return x; } };`);
    writeFileSync(join(plugins, "slow.ts"), `export default async (p: any) => { await new Promise((r) => setTimeout(r, p.ms)); return p.n; };`);
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    worker = startWorker();
    await worker.waitFor(/pulling/, 30_000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await nc?.close();
    await ns?.cleanup();
    dir.cleanup();
  });

  test("an incident (failures, a backlog) is still in the charts after the worker restarts and the page reloads", async () => {
    await submit(Array.from({ length: 6 }, (_, n) => ({ id: `gate-${n}`, handler: "gate", payload: { file: gateFile } })));
    await submit(Array.from({ length: 16 }, (_, n) => ({ handler: "slow", payload: { ms: 1000, n } })));
    // the samples are in NATS: failures of gate, lag of slow
    await eventually(async () => {
      const h = await (await fetch(`${base}/api/history?hours=1`)).json();
      return h.series.gate?.some((p: { failed?: number }) => (p.failed ?? 0) > 0) && h.series.slow?.some((p: { lag?: number }) => (p.lag ?? 0) > 0);
    }, 60_000, "the incident in the history");

    // a new worker process: nothing of the incident is in its memory
    expect(await worker.stop()).toBe(0);
    worker = startWorker();
    await worker.waitFor(/pulling/, 30_000);
    await page.goto(base);
    await page.reload();
    const failures = page.locator('#chart-failed path[data-handler="gate"]');
    await failures.waitFor({ state: "attached", timeout: 20_000 });
    expect(await page.locator('#chart-lag path[data-handler="slow"]').count()).toBe(1);
    // axes and legend: labelled ticks, every handler named
    expect(await page.locator("#chart-failed svg text").count()).toBeGreaterThanOrEqual(8);
    expect(await page.locator('#chart-failed .legend [data-handler="gate"]').textContent()).toContain("gate");
    // hover shows the values at a time; the keyboard does too
    const dot = (await page.locator('#chart-failed circle[data-handler="gate"]').first().boundingBox())!;
    await page.mouse.move(dot.x + dot.width / 2, dot.y + dot.height / 2);
    await eventually(async () => /gate: \d/.test((await page.locator("#chart-failed .tip").textContent()) ?? ""), 5_000, "hover values");
    await page.locator("#chart-lag svg").focus();
    await page.keyboard.press("ArrowLeft");
    expect(await page.locator("#chart-lag .tip").isVisible()).toBe(true);
    await page.screenshot({ path: join(shots, "console-worker.png"), fullPage: true });
  }, 180_000);

  test("the job browser finds a failed job among 10 000 and shows its attempts", async () => {
    await submit({ id: "needle-7f3", handler: "flaky", payload: { api_key: "sk-live-123", doc: 7 } });
    await submit(Array.from({ length: 10_000 }, (_, n) => ({ handler: "echo", payload: n })));
    await eventually(async () => (await consumer("echo")).num_pending + (await consumer("echo")).num_ack_pending === 0, 120_000, "10 000 echo jobs done");
    await eventually(async () => (await docctl(["job", "needle-7f3", "--nats", ns.url, "--json"])).stdout.includes('"dead"'), 30_000, "the needle dead");

    await page.goto(`${base}/#jobs`);
    await page.locator("#f-state").selectOption("dead");
    await page.getByLabel("job id contains").fill("needle");
    await page.getByRole("button", { name: "Search" }).click();
    const row = page.locator('[data-testid="job-row"][data-id="needle-7f3"]');
    await row.waitFor({ timeout: 30_000 });
    await eventually(async () => (await page.locator('[data-testid="job-row"]').count()) === 1, 20_000, "only the needle listed");
    expect(await row.textContent()).toContain("UPSTREAM_DOWN");
    await row.getByRole("link", { name: "needle-7f3" }).click();
    const attempts = page.locator('[data-testid="attempt"]');
    await eventually(async () => (await attempts.count()) === 3, 15_000, "three attempts");
    // each attempt with its error, and the stack where the handler threw
    for (let i = 0; i < 3; i++) {
      expect(await attempts.nth(i).textContent()).toContain(`attempt ${i + 1}`);
      expect(await attempts.nth(i).textContent()).toContain("UPSTREAM_DOWN");
      expect(await attempts.nth(i).textContent()).toContain("upstream said 503");
    }
    expect(await attempts.first().locator("details pre").textContent()).toContain("flaky.ts");
    // the handler's ctx.log lines, with their attempt
    await eventually(async () => ((await page.locator("#job-logs").textContent()) ?? "").includes("calling upstream, attempt 3"), 10_000, "job logs");
    // the payload is there, its secret masked
    const payload = (await page.locator("#job-payload").textContent()) ?? "";
    expect(payload).toContain('"doc": 7');
    expect(payload).not.toContain("sk-live-123");
    // paging: 50 a page, the next page starts after them
    await page.goto(`${base}/#jobs`);
    await page.getByLabel("job id contains").fill("");
    await page.locator("#f-state").selectOption("done");
    await page.getByRole("button", { name: "Search" }).click();
    await eventually(async () => (await page.locator('[data-testid="job-row"]').count()) === 50, 20_000, "a page of 50");
    // the counts cover all of them
    await eventually(async () => Number(/done \((\d+)\)/.exec((await page.locator("#f-state").textContent()) ?? "")?.[1]) >= 10_000, 10_000, "done count");
    const first = await page.locator('[data-testid="job-row"]').first().getAttribute("data-id");
    await page.locator("#next").click();
    await eventually(async () => /^51–100 of \d+/.test((await page.locator("#page-line").textContent()) ?? ""), 20_000, "page two");
    expect(await page.locator('[data-testid="job-row"]').first().getAttribute("data-id")).not.toBe(first);
    // that list came from the job index (its cursor), not from a scan of the results (an offset)
    const viaApi = await (await fetch(`${base}/api/jobs?state=done&limit=50`)).json();
    expect(viaApi.jobs).toHaveLength(50);
    expect(viaApi.next).toBeDefined();
    expect(viaApi.next).not.toBe("50");
  }, 240_000);

  test("an action without the token is refused; pause of a handler from the page stops its deliveries; resume lets them through; both are audited", async () => {
    await page.goto(base);
    const slowRow = page.locator('[data-testid="queue-row"][data-handler="slow"]');
    await slowRow.waitFor();
    await slowRow.getByRole("button", { name: "pause slow" }).click();
    await eventually(async () => /pause slow failed: a valid token is needed/.test((await page.locator("#message").textContent()) ?? ""), 10_000, "token refusal");
    expect((await consumer("slow")).paused ?? false).toBe(false);

    await page.locator("#token").fill(TOKEN);
    await slowRow.getByRole("button", { name: "pause slow" }).click();
    await eventually(async () => /pause slow: deliveries of slow paused/.test((await page.locator("#message").textContent()) ?? ""), 10_000, "paused message");
    expect((await consumer("slow")).paused).toBe(true);
    await eventually(async () => (await slowRow.textContent())?.includes("paused"), 10_000, "row says paused");

    await submit(Array.from({ length: 5 }, (_, n) => ({ id: `held-${n}`, handler: "slow", payload: { ms: 10, n } })));
    // the workers are busy meanwhile: a job of another handler submitted after them is done ...
    const sentinel = await docctl(["submit", "-", "--nats", ns.url, "--json"], { stdin: JSON.stringify({ id: "sentinel-1", handler: "echo", payload: 1 }), timeoutMs: 60_000 });
    expect(sentinel.code).toBe(0);
    // ... and none of the paused handler's was delivered
    const held = await consumer("slow");
    expect(held.num_pending).toBe(5);
    expect(held.num_ack_pending).toBe(0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('docctl_handler_paused{handler="slow"} 1');
    // failures by error code and queue wait, from the procs
    expect(metrics).toMatch(/docctl_job_failures_total\{proc="[^"]+",handler="flaky",code="UPSTREAM_DOWN"\} 1/);
    expect(metrics).toMatch(/docctl_job_wait_seconds_count\{proc="[^"]+",handler="echo"\} [1-9]\d*/);
    expect(metrics).toMatch(/docctl_dead_letters\{handler="flaky"\} 1/);

    await slowRow.getByRole("button", { name: "resume slow" }).click();
    await eventually(async () => (await consumer("slow")).num_pending === 0 && (await consumer("slow")).num_ack_pending === 0, 30_000, "held jobs run after resume");

    await page.goto(`${base}/#audit`);
    const pause = page.locator('[data-testid="audit-row"][data-action="handler.pause"][data-target="slow"]');
    await eventually(async () => (await pause.count()) >= 1, 10_000, "audit entry");
    expect(await pause.first().textContent()).toContain("ops");
    // the refused attempt (no token) never reached the action, so it is not in the list as done
    expect(await page.locator('[data-testid="audit-row"][data-action="handler.resume"]').first().textContent()).toContain("ok");
  }, 120_000);

  test("purge asks for the handler's name typed out: a wrong one is refused, the right one removes the waiting jobs", async () => {
    const auth = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${base}/api/handlers/pause`, { method: "POST", headers: auth, body: '{"handler":"slow"}' })).status).toBe(200);
    await submit(Array.from({ length: 3 }, (_, n) => ({ id: `purge-${n}`, handler: "slow", payload: { ms: 10, n } })));
    await page.goto(base);
    const slowRow = page.locator('[data-testid="queue-row"][data-handler="slow"]');
    await eventually(async () => (await slowRow.locator("td").nth(1).textContent())?.trim() === "3", 15_000, "3 waiting");
    await page.locator("#token").fill(TOKEN);
    let answer = "slwo";
    page.on("dialog", (d) => void d.accept(answer));
    await slowRow.getByRole("button", { name: "purge slow" }).click();
    await eventually(async () => /purge slow failed: purge removes every waiting job of slow: type the handler's name/.test((await page.locator("#message").textContent()) ?? ""), 10_000, "refused");
    expect((await consumer("slow")).num_pending).toBe(3);
    answer = "slow";
    await slowRow.getByRole("button", { name: "purge slow" }).click();
    await eventually(async () => /3 waiting job\(s\) of slow removed/.test((await page.locator("#message").textContent()) ?? ""), 10_000, "purged");
    expect((await consumer("slow")).num_pending).toBe(0);
    page.removeAllListeners("dialog");
    expect((await fetch(`${base}/api/handlers/resume`, { method: "POST", headers: auth, body: '{"handler":"slow"}' })).status).toBe(200);
    const audit = (await (await fetch(`${base}/api/audit`)).json()).entries as { action: string; ok: boolean; who: string }[];
    expect(audit.filter((e) => e.action === "handler.purge").map((e) => [e.ok, e.who])).toEqual([[true, "ops"], [false, "ops"]]);
  }, 60_000);

  test("schedules show their next and last run and run now; delayed jobs run now or are cancelled from the page", async () => {
    const file = join(dir.path, "nightly.json");
    writeFileSync(file, JSON.stringify({ handler: "echo", payload: { report: "nightly" } }));
    expect((await docctl(["schedule", "add", "nightly", "--every", "1h", file, "--nats", ns.url])).code).toBe(0);
    await submit([{ id: "later-1", handler: "echo", payload: 1, delay: "1h" }, { id: "later-2", handler: "echo", payload: 2, delay: "1h" }]);
    await page.goto(`${base}/#schedules`);
    await page.locator("#token").fill(TOKEN);
    const sched = page.locator('[data-testid="schedule-row"][data-name="nightly"]');
    await sched.waitFor({ timeout: 15_000 });
    expect(await sched.textContent()).toMatch(/every 1h.*\(in (59m|1h)\)/);
    expect(await sched.textContent()).toContain("not yet");
    await sched.getByRole("button", { name: "run nightly now" }).click();
    await eventually(async () => /run nightly now: fired 1 job\(s\) of nightly/.test((await page.locator("#message").textContent()) ?? ""), 15_000, "fired");
    const fired = await eventually(async () => {
      const r = await (await fetch(`${base}/api/jobs?state=done&q=sched-nightly-`)).json();
      return (r.jobs as { id: string }[])[0];
    }, 20_000, "the schedule's job done");
    expect(fired.id).toMatch(/^sched-nightly-\d+000$/); // a tick of this second (protocol/ticks.ts)

    const later1 = page.locator('[data-testid="delayed-row"][data-id="later-1"]');
    await later1.waitFor({ timeout: 15_000 });
    await later1.getByRole("button", { name: "promote later-1" }).click();
    await eventually(async () => {
      const r = await docctl(["result", "later-1", "--nats", ns.url, "--json"]);
      return r.code === 0 && JSON.parse(r.stdout).ok === true;
    }, 20_000, "later-1 ran now");
    const later2 = page.locator('[data-testid="delayed-row"][data-id="later-2"]');
    await later2.getByRole("button", { name: "cancel later-2" }).click();
    await eventually(async () => (await docctl(["job", "later-2", "--nats", ns.url, "--json"])).stdout.includes('"cancelled"'), 20_000, "later-2 cancelled");
    await eventually(async () => (await page.locator('[data-testid="delayed-row"]').count()) === 0, 15_000, "no delayed job left");
    expect((await docctl(["schedule", "rm", "nightly", "--nats", ns.url])).code).toBe(0);
  }, 90_000);

  test("a cross-site page cannot act: its fetch and its form post are refused and nothing changes", async () => {
    const evilPort = await freePort();
    const evil = Bun.serve({
      hostname: "127.0.0.1",
      port: evilPort,
      fetch: () =>
        new Response(
          `<!doctype html><body>
           <form id="f" method="POST" action="${base}/api/handlers/pause" enctype="text/plain"><input name='{"handler":"echo","x":"' value='"}'></form>
           <script>
             window.result = fetch("${base}/api/handlers/pause", { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer ${TOKEN}" }, body: JSON.stringify({ handler: "echo" }) })
               .then((r) => "status " + r.status, (e) => "blocked: " + e.message);
           </script></body>`,
          { headers: { "content-type": "text/html" } },
        ),
    });
    try {
      const p = await browser.newPage();
      await p.goto(`http://127.0.0.1:${evilPort}/`);
      // the browser sends a CORS preflight the console does not answer: the POST never goes out
      expect(await p.evaluate(() => (window as unknown as { result: Promise<string> }).result)).toMatch(/^blocked/);
      // a form post goes out without a preflight, and is refused (not JSON, and from another origin)
      const [resp] = await Promise.all([p.waitForResponse((r) => r.url().endsWith("/api/handlers/pause")), p.evaluate(() => (document.getElementById("f") as HTMLFormElement).submit())]);
      expect([403, 415]).toContain(resp.status());
      await p.close();
      // the same with a made-up Origin from outside a browser
      const direct = await fetch(`${base}/api/handlers/pause`, { method: "POST", headers: { "content-type": "application/json", origin: `http://127.0.0.1:${evilPort}`, authorization: `Bearer ${TOKEN}` }, body: '{"handler":"echo"}' });
      expect(direct.status).toBe(403);
      expect((await consumer("echo")).paused ?? false).toBe(false);
      const audit = await (await fetch(`${base}/api/audit`)).json();
      expect(audit.entries.some((e: { target: string; action: string }) => e.action === "handler.pause" && e.target === "echo")).toBe(false);
    } finally {
      await evil.stop(true);
    }
  }, 60_000);

  test("retry of a dead letter from the page re-runs the job; the token never shows in the log or the API", async () => {
    writeFileSync(gateFile, "");
    await page.goto(base);
    const deadRow = page.locator('[data-testid="dead-row"][data-id="gate-0"]');
    await deadRow.waitFor({ timeout: 20_000 });
    await deadRow.getByTestId("retry").click();
    await eventually(async () => (await page.locator("#message").textContent())?.includes("re-queued gate-0"), 10_000, "re-queued message");
    await eventually(async () => {
      const r = await docctl(["result", "gate-0", "--nats", ns.url, "--json"]);
      return r.code === 0 && JSON.parse(r.stdout).ok === true;
    }, 20_000, "an ok result");
    expect(worker.output()).not.toContain(SECRET);
    for (const path of ["/api/overview", "/api/audit", "/api/jobs?limit=500"]) expect(await (await fetch(`${base}${path}`)).text()).not.toContain(SECRET);
  }, 60_000);

  test("the worker's page: per-proc state, a watchdog kill, memory; desktop and phone", async () => {
    await submit({ id: "spin-1", handler: "spin", timeout_ms: 1000, payload: { ms: 20_000 } });
    await page.goto(base);
    const procs = page.locator('[data-testid="proc-row"]');
    await eventually(async () => (await procs.count()) === 2, 15_000, "two procs");
    // the proc that ran it was killed and replaced: its row says so, and /metrics counts it
    await eventually(async () => (await procs.locator("td:nth-child(4)").allTextContents()).some((t) => t.trim() === "1"), 60_000, "a watchdog kill on the page");
    const killed = procs.filter({ has: page.locator("td:nth-child(4)", { hasText: /^1$/ }) });
    // the kill count and the last exit come from two moments of the supervisor's record (the count as
    // the watchdog acts, the exit once the proc is reaped): wait for the row to show both
    await eventually(async () => ((await killed.textContent().catch(() => "")) ?? "").includes("watchdog"), 30_000, "the kill's exit line on the page");
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/docctl_proc_watchdog_kills_total\{proc="proc-\d"\} 1/);
    await eventually(async () => (await procs.allTextContents()).every((t) => t.includes("RUNNING")), 30_000, "both procs running again");
    expect(await procs.first().textContent()).toMatch(/\d+ MB/);
    // the header's count includes the jobs of the proc that was killed (the supervisor's, not the new proc's own)
    await eventually(async () => {
      const header = Number(/^(\d+) done/.exec((await page.locator("#counters").textContent()) ?? "")?.[1]);
      const row = Number((await page.locator('[data-testid="worker-row"][data-id="dash-worker-1"] td').nth(6).textContent())?.trim());
      return header > 0 && header === row;
    }, 10_000, "header done = the worker row's done");
    expect(await page.getByTestId("kind").textContent()).toBe("worker");
    await page.screenshot({ path: join(shots, "console-worker.png"), fullPage: true });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.goto(base);
    await phone.locator('[data-testid="queue-row"]').first().waitFor();
    await eventually(async () => (await phone.locator("#chart-lag svg").count()) === 1, 15_000, "charts on the phone");
    // nothing wider than the screen
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(shots, "console-worker-phone.png") });
    await phone.close();
  }, 90_000);

  test("basic accessibility: every control is named, text contrast is at least 4.5:1, the keyboard reaches and opens the sections", async () => {
    await page.goto(base);
    await page.locator('[data-testid="queue-row"]').first().waitFor();
    // every button, input and select has an accessible name
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll("button, input, select, a[href]")]
        .filter((e) => (e as HTMLElement).offsetParent !== null)
        .filter((e) => {
          const el = e as HTMLInputElement;
          const label = el.labels?.length || el.getAttribute("aria-label") || (el.textContent ?? "").trim();
          return !label;
        })
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    expect(unnamed).toEqual([]);
    // contrast of every visible text against the background it sits on (WCAG AA, 4.5:1)
    const low = await page.evaluate(() => {
      const rgb = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
      const lum = ([r, g, b]: number[]) => {
        const f = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
      };
      const bg = (e: Element | null): number[] => {
        for (; e; e = e.parentElement) {
          const c = rgb(getComputedStyle(e).backgroundColor);
          if (c.length === 3 || (c.length === 4 && c[3]! > 0.5)) return c.slice(0, 3);
        }
        return [255, 255, 255];
      };
      const out: string[] = [];
      let checked = 0;
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const e = n.parentElement!;
        if (!n.textContent!.trim() || e.closest("svg, script, style, [hidden]") || (e as HTMLElement).offsetParent === null) continue;
        checked++;
        const fg = rgb(getComputedStyle(e).color).slice(0, 3);
        const [a, b] = [lum(fg), lum(bg(e))].sort((x, y) => y - x);
        const ratio = (a! + 0.05) / (b! + 0.05);
        if (ratio < 4.5) out.push(`${n.textContent!.trim().slice(0, 30)}: ${ratio.toFixed(2)}`);
      }
      return { out, checked };
    });
    expect(low.checked).toBeGreaterThan(50);
    expect(low.out).toEqual([]);
    // Tab reaches the section links; Enter opens one; the focused element is visible (outline)
    await page.locator("body").focus();
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate(() => document.activeElement?.getAttribute("href") === "#jobs");
    }
    expect(reached).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe("none");
    await page.keyboard.press("Enter");
    await page.locator("#view-jobs").waitFor();
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe("Jobs");
  }, 60_000);

  test("a proc that keeps dying at start shows restarts, its last exit and FATAL, on the page and in /metrics", async () => {
    const port2 = await freePort();
    const w2 = spawnDocctl(["worker", "--procs", "1", "--dedicated", "crashy=1", "--max-fast-restarts", "2", "--nats", ns.url, "--plugins", plugins, "--http", `127.0.0.1:${port2}`, "--name", "dash-worker-2", "-v"], { env: ENV });
    try {
      await page.goto(base);
      const fatal = page.locator('[data-testid="proc-row"][data-state="FATAL"]');
      await fatal.waitFor({ timeout: 60_000 });
      const text = (await fatal.textContent()) ?? "";
      expect(text).toContain("crashy");
      expect(text).toMatch(/code 3 after/);
      expect(Number((await fatal.locator("td").nth(2).textContent())?.trim())).toBeGreaterThanOrEqual(2);
      await eventually(async () => /docctl_procs\{state="FATAL"\} 1/.test(await (await fetch(`http://127.0.0.1:${port2}/metrics`)).text()), 20_000, "FATAL in /metrics");
      const m = await (await fetch(`http://127.0.0.1:${port2}/metrics`)).text();
      expect(m).toMatch(/docctl_proc_restarts_total\{proc="crashy-1"\} [2-9]/);
    } finally {
      await w2.stop();
    }
  }, 90_000);

  test("the manager's page shows the manager as the manager, its servers and per-handler depth; the Grafana example's metrics all exist", async () => {
    const mport = await freePort();
    const mbase = `http://127.0.0.1:${mport}`;
    const manager = spawnDocctl(["manager", "--provider", "local", "--min", "1", "--max", "1", "--interval", "500ms", "--worker-args", `--plugins ${plugins} --procs 1`, "--nats", ns.url, "--http", `127.0.0.1:${mport}`, "-v"], { env: ENV });
    try {
      await manager.waitFor(/serving \/metrics/, 30_000);
      await page.goto(mbase);
      await eventually(async () => (await page.getByTestId("kind").textContent()) === "manager", 15_000, "manager kind");
      expect(await page.getByTestId("worker-state").textContent()).toMatch(/leading|standby/);
      expect(await page.locator("#inflight-box").isVisible()).toBe(false);
      await page.locator('[data-testid="server-row"][data-state="ready"]').waitFor({ timeout: 60_000 });
      // the manager is not listed as a worker
      const ids = await page.locator('[data-testid="worker-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
      expect(ids.some((id) => id?.startsWith("manager") || id === null)).toBe(false);
      await page.screenshot({ path: join(shots, "console-manager.png"), fullPage: true });
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await phone.goto(mbase);
      await phone.locator('[data-testid="server-row"]').first().waitFor();
      await phone.screenshot({ path: join(shots, "console-manager-phone.png") });
      await phone.close();

      // every metric a panel of docs/grafana-dashboard.json queries is in a real scrape (worker or manager)
      const scrape = async (u: string) => parseMetrics(await (await fetch(`${u}/metrics`)).text());
      const mm = await eventually(async () => {
        const m = await scrape(mbase);
        return m.has("docctl_queue_lag") && m.has("docctl_dead_letters") ? m : undefined;
      }, 20_000, "the manager's queue gauges");
      expect([...mm.get("docctl_queue_lag")!.metrics.map((s) => s.labels.handler)]).toEqual(expect.arrayContaining(["echo", "slow", "gate"]));
      // the procs' counters come from each proc's own /metrics, asked with a short timeout: on a loaded
      // machine one scrape can miss them, so wait for a scrape that has them
      const wm = await eventually(async () => {
        const m = await scrape(base);
        return m.has("docctl_jobs_done_total") ? m : undefined;
      }, 30_000, "the worker's scrape with its procs' counters");
      const names = new Set([...mm.keys(), ...wm.keys()]);
      const dash = JSON.parse(readFileSync(join(ROOT, "docs", "grafana-dashboard.json"), "utf8"));
      const exprs: string[] = dash.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr));
      expect(exprs.length).toBeGreaterThanOrEqual(12);
      for (const e of exprs) {
        const used = (e.match(/\b(docctl_|process_)[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, ""));
        expect(used.length).toBeGreaterThan(0);
        for (const n of used) expect({ expr: e, metric: n, exists: names.has(n) }).toEqual({ expr: e, metric: n, exists: true });
      }
    } finally {
      await manager.stop();
    }
  }, 180_000);
});
