// The dashboard in headless Chromium: workers, queues with lag over time, dead letters, and the retry
// button that needs the token. Takes a screenshot: into docs/dashboard.png with DOCCTL_UPDATE_SCREENSHOTS=1,
// else into a temp dir, so a test run never changes the work tree.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { docctl, eventually, ROOT, spawnDocctl, type Background } from "../helpers/cli.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";

const CHROMIUM = process.env.DOCCTL_CHROMIUM ?? "/usr/bin/chromium";
const TOKEN = "dash-token-4f9a2c";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set DOCCTL_CHROMIUM)`);

describe.skipIf(!haveChromium)("dashboard", () => {
  let nats: NatsServerHandle;
  let worker: Background;
  let browser: Browser;
  let page: Page;
  let base: string;
  const dir = tempDir("docctl-dash-");
  const gateFile = join(dir.path, "open");

  beforeAll(async () => {
    nats = await startNatsServer();
    mkdirSync(join(dir.path, "plugins"));
    // fails for good until the file named in the payload exists
    writeFileSync(
      join(dir.path, "plugins", "gate.ts"),
      `import { existsSync } from "node:fs";
       export default { maxAttempts: 1, handle(p: any) {
         if (!existsSync(p.file)) throw Object.assign(new Error("the gate is closed"), { code: "GATE_CLOSED", retryable: false });
         return "passed";
       } };`,
    );
    writeFileSync(join(dir.path, "plugins", "slow.ts"), `export default async (p: any) => { await new Promise((r) => setTimeout(r, p.ms)); return p.n; };`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    worker = spawnDocctl(["worker", "--procs", "1", "--nats", nats.url, "--plugins", join(dir.path, "plugins"), "--concurrency", "2", "--http", `127.0.0.1:${port}`, "--http-token", TOKEN, "--name", "dash-worker-1", "-v"]);
    await worker.waitFor(/pulling/);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await nats?.cleanup();
    dir.cleanup();
  });

  test("shows the worker, the queues with their lag, and a job that failed for good", async () => {
    const failed = await docctl(["submit", "-", "--nats", nats.url, "--json"], { stdin: JSON.stringify({ id: "gate-1", handler: "gate", payload: { file: gateFile } }) });
    expect(failed.code).toBe(1);
    await docctl(["submit", "-", "--nats", nats.url, "--json"], { stdin: JSON.stringify([1, 2, 3].map((n) => ({ handler: "echo", payload: n }))) });
    const slow = Array.from({ length: 10 }, (_, n) => ({ handler: "slow", payload: { ms: 3000, n } })); // 15 s of queue: the lag is still there when the chart has its samples, even on a loaded machine
    expect((await docctl(["submit", "-", "--nats", nats.url, "--no-wait"], { stdin: JSON.stringify(slow) })).code).toBe(0);

    await page.goto(base);
    await page.locator('[data-testid="dead-row"][data-id="gate-1"]').waitFor();
    expect(await page.locator("#worker-id").textContent()).toBe("dash-worker-1");
    expect(await page.getByTestId("worker-state").textContent()).toBe("running");
    expect(await page.locator('[data-testid="worker-row"]').first().textContent()).toContain("dash-worker-1");
    const deadRow = page.locator('[data-testid="dead-row"][data-id="gate-1"]');
    expect(await deadRow.textContent()).toContain("GATE_CLOSED");
    expect(await deadRow.textContent()).toContain("the gate is closed");
    const handlers = await page.locator('[data-testid="queue-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-handler")));
    expect(handlers).toEqual(expect.arrayContaining(["echo", "gate", "slow"]));
    // lag over time: a few samples in, the slow queue's line is drawn
    await eventually(async () => (await page.locator('#chart polyline[data-handler="slow"]').getAttribute("points"))?.split(" ").length! >= 3, 15_000, "lag samples");
    const slowLag = Number(await page.locator('[data-testid="queue-row"][data-handler="slow"] td').nth(3).textContent());
    expect(slowLag).toBeGreaterThan(0);
    // the supervisor's procs add up: the echo jobs are counted, slow jobs show as running
    await eventually(async () => /^([3-9]|\d\d+) done · 1 failed/.test((await page.locator("#counters").textContent()) ?? ""), 5_000, "counters");
    await eventually(async () => (await page.locator("#inflight").textContent())?.includes("slow"), 5_000, "running jobs");
    const shot = process.env.DOCCTL_UPDATE_SCREENSHOTS ? join(ROOT, "docs", "dashboard.png") : join(tempDir("dashboard-shot-").path, "dashboard.png");
    await page.screenshot({ path: shot });
    expect(existsSync(shot)).toBe(true);
  });

  test("retry needs the token; with it the job runs again and its dead letter goes away", async () => {
    writeFileSync(gateFile, "");
    const deadRow = page.locator('[data-testid="dead-row"][data-id="gate-1"]');
    await deadRow.getByTestId("retry").click();
    await eventually(async () => /retry failed: a valid token is needed/.test((await page.locator("#message").textContent()) ?? ""), 5_000, "token refusal");
    expect(await deadRow.count()).toBe(1);

    await page.locator("#token").fill(TOKEN);
    await deadRow.getByTestId("retry").click();
    await eventually(async () => (await page.locator("#message").textContent()) === "re-queued gate-1", 5_000, "re-queued message");
    await eventually(async () => (await deadRow.count()) === 0, 10_000, "dead letter gone");
    const r = await eventually(async () => {
      const r = await docctl(["result", "gate-1", "--nats", nats.url, "--json"]);
      return r.code === 0 ? r : undefined;
    }, 10_000, "an ok result");
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, value: "passed" });
  });

  test("the token is masked in the worker's log and /api/overview does not leak it", async () => {
    expect(worker.output()).not.toContain(TOKEN);
    expect(await (await fetch(`${base}/api/overview`)).text()).not.toContain(TOKEN);
  });
});
