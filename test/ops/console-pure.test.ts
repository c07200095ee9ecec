// The console's pure decisions: how history samples merge, how the job browser pages, what a payload
// shows, who an action is logged as, how the history interval is read, which vanished workers stay shown.
import { describe, expect, test } from "bun:test";
import { historyInterval, historyStreamConfig, mergeSamples, type QueueSampleV1, type WorkSampleV1 } from "../../core/runtime/http/history.ts";
import { pageJobs, showValue, type JobRow } from "../../core/runtime/http/jobs-source.ts";
import { actorOf } from "../../core/runtime/http/server.ts";
import { missingWorkerVerdict, stalePolicyDefaults } from "../../core/runtime/http/stale-workers.ts";
import { controlDefaults } from "../../core/runtime/supervisor/control-plane.ts";

const q = (t: number, handler: string, lag: number, delivered: number): QueueSampleV1 => ({ v: 1, t, handler, lag, pending: lag, ack_pending: 0, oldest_age_s: lag ? 5 : 0, delivered });
const w = (t: number, handler: string, writer: string, done: number, failed: number, wait_ms = 0, waits = 0): WorkSampleV1 => ({ v: 1, t, handler, writer, done, failed, codes: failed ? { BOOM: failed } : {}, wait_ms, waits });

describe("history samples", () => {
  test("work samples of one interval from several procs add up; the queue sample gives lag and oldest age", () => {
    const s = mergeSamples([q(60_000, "pdf", 12, 100)], [w(60_000, "pdf", "a.1", 5, 1, 3000, 6), w(60_000, "pdf", "b.2", 4, 0, 1000, 4)]);
    expect(s.pdf).toEqual([{ t: 60_000, lag: 12, oldest_age_s: 5, throughput: 10, failed: 1, wait_s: 0.4 }]);
  });

  test("without work samples the throughput is the rise of deliveries; a counter that went back (a consumer re-made) gives none", () => {
    const s = mergeSamples([q(0, "echo", 0, 100), q(60_000, "echo", 0, 130), q(120_000, "echo", 0, 5)], []);
    expect(s.echo!.map((p) => p.throughput)).toEqual([undefined, 30, undefined]);
  });

  test("series come out oldest first, per handler", () => {
    const s = mergeSamples([q(120_000, "a", 1, 0), q(60_000, "a", 2, 0), q(60_000, "b", 3, 0)], []);
    expect(s.a!.map((p) => p.t)).toEqual([60_000, 120_000]);
    expect(s.b!.map((p) => p.lag)).toEqual([3]);
  });

  test("the stream keeps at least 24 h, and its duplicate window covers two intervals", () => {
    const c = historyStreamConfig({ intervalMs: 60_000, maxAgeMs: 3_600_000, maxBytes: 1e6 });
    expect(c.max_age).toBe(24 * 3_600_000 * 1e6);
    expect(c.duplicate_window).toBeGreaterThanOrEqual(2 * 60_000 * 1e6);
    expect(c.duplicate_window).toBeLessThanOrEqual(c.max_age);
  });

  test("DOCCTL_HISTORY_INTERVAL: 2s, 500ms (raised to 1 s), 1m; anything else is the minute", () => {
    expect(historyInterval("2s")).toBe(2000);
    expect(historyInterval("500ms")).toBe(1000);
    expect(historyInterval("1m")).toBe(60_000);
    expect(historyInterval("soon")).toBe(60_000);
    expect(historyInterval(undefined)).toBe(60_000);
  });
});

describe("the job browser", () => {
  const rows: JobRow[] = [
    ...Array.from({ length: 120 }, (_, i): JobRow => ({ id: `ok-${i}`, state: "done", handler: "echo", batch: "b1", at: 1000 - i })),
    { id: "needle-1", state: "dead", handler: "pdf", batch: "b2", at: 5, error: { code: "BOOM", message: "x" } },
    { id: "q-1", state: "queued", handler: "pdf", batch: "b2" },
  ];

  test("filters by state, handler, batch and part of the id; counts per state ignore the state filter", () => {
    const p = pageJobs(rows, { state: "dead", q: "NEEDLE" });
    expect(p.jobs.map((j) => j.id)).toEqual(["needle-1"]);
    expect(p.total).toBe(1);
    expect(p.counts.dead).toBe(1);
    expect(p.counts.done).toBe(0); // the id filter applies to the counts
    const byBatch = pageJobs(rows, { batch: "b2" });
    expect(byBatch.counts).toMatchObject({ dead: 1, queued: 1, done: 0 });
    expect(pageJobs(rows, { handler: "echo" }).counts.done).toBe(120);
  });

  test("pages of `limit` with a cursor; the last page has no next", () => {
    const a = pageJobs(rows, { state: "done", limit: 50 });
    expect(a.jobs).toHaveLength(50);
    expect(a.next).toBe("50");
    const c = pageJobs(rows, { state: "done", limit: 50, cursor: "100" });
    expect(c.jobs.map((j) => j.id)).toEqual(Array.from({ length: 20 }, (_, i) => `ok-${100 + i}`));
    expect(c.next).toBeUndefined();
    expect(pageJobs(rows, { limit: 100_000 }).jobs).toHaveLength(122); // capped at 500 a page
  });

  test("a payload shows with secret-looking keys masked, nested too, and is cut past the limit", () => {
    const v = showValue({ user: "ann", password: "hunter2", nested: { api_key: "sk-1", Authorization: "Bearer x", list: [{ token: "t" }] } });
    expect(v.text).not.toMatch(/hunter2|sk-1|Bearer x|"t"/);
    expect(v.text).toContain('"user": "ann"');
    expect(v.cut).toBe(false);
    const big = showValue({ blob: "x".repeat(40_000) }, 1000);
    expect(big.cut).toBe(true);
    expect(big.bytes).toBeGreaterThan(40_000);
    expect(Buffer.byteLength(big.text)).toBeLessThan(1100);
  });
});

describe("who an action is logged as", () => {
  test("a NAME:SECRET token by its name, another token as token, none as loopback; never the secret", () => {
    expect(actorOf("ops:s3cret")).toBe("ops");
    expect(actorOf("s3cret-without-name")).toBe("token");
    expect(actorOf(undefined)).toBe("loopback");
    expect(actorOf(":s3cret")).toBe("token");
  });
});

describe("a worker missing from the presence bucket", () => {
  const p = { ttlMs: 15_000, keepMs: 600_000 };
  test("no delete marker, listed within the TTL: its entry expired (it hangs or died): shown stale", () => {
    expect(missingWorkerVerdict({ listedAt: 100_000 }, false, 110_000, p)).toBe("expired");
  });
  test("a delete marker: it stopped cleanly: forgotten", () => {
    expect(missingWorkerVerdict({ listedAt: 100_000 }, true, 101_000, p)).toBe("forget");
  });
  test("last listed longer ago than the TTL: a clean stop's marker may be gone too, so it cannot tell: forgotten", () => {
    expect(missingWorkerVerdict({ listedAt: 100_000 }, false, 100_000 + 15_001, p)).toBe("forget");
  });
  test("once expired it stays shown for keepMs, then is forgotten", () => {
    expect(missingWorkerVerdict({ listedAt: 0, expiredAt: 10_000 }, false, 10_000 + 600_000, p)).toBe("expired");
    expect(missingWorkerVerdict({ listedAt: 0, expiredAt: 10_000 }, false, 10_000 + 600_001, p)).toBe("forget");
  });
  test("the default TTL is the presence bucket's", () => {
    expect(stalePolicyDefaults.ttlMs).toBe(controlDefaults.presenceTtlMs);
  });
});
