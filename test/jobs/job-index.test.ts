// The job index against a real server: `docctl jobs` answers exactly (2 500 fresh jobs beside dead
// letters, handler + state + limit, paging, counts, scheduled soonest first), a retrying job shows its
// attempt, error and next time, per-job backoff spaces the attempts, dead letters keep every attempt,
// queue operations say how many they removed, and events and job logs follow the jobs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, Worker, defineHandler, JobError } from "../../core/lib/index.ts";
import { setup, cleanup, type NatsServerHandle } from "../helpers/nats.ts";
import { docctl, spawnDocctl } from "../helpers/cli.ts";
import { eventually } from "../helpers/eventually.ts";
import { listDead } from "../../core/runtime/client/dead.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import type { JobEvent } from "../../core/runtime/client/events.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let worker: Worker;
let client: Client;
const env = () => ({ DOCCTL_NATS_URL: ns.url });
const attemptsAt = new Map<string, number[]>();

const rec = defineHandler<{ i: number }, number>({ handle: ({ i }, ctx) => (i % 500 === 0 && ctx.log.info(`record ${i} written`), i) });
const bad = defineHandler<{ n: number }, never>({
  maxAttempts: 1,
  handle: ({ n }) => {
    throw new JobError("REJECTED", `record ${n} rejected`, { retryable: false });
  },
});
const flaky = defineHandler<Record<string, never>, never>({
  maxAttempts: 3,
  handle: (_p, ctx) => {
    const a = attemptsAt.get(ctx.id) ?? [];
    a.push(Date.now());
    attemptsAt.set(ctx.id, a);
    ctx.log.warn(`attempt ${ctx.attempt} of ${ctx.id}: upstream busy`);
    throw new JobError("UPSTREAM_BUSY", `upstream busy (attempt ${ctx.attempt})`, { retryable: true });
  },
});

beforeAll(async () => {
  ({ ns, nc } = await setup());
  worker = new Worker({ nats: ns.url, handlers: { rec, bad, flaky }, concurrency: 16, logger: {} });
  await worker.start();
  client = new Client({ nats: ns.url, waitMs: 120_000 });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await worker?.close();
  await cleanup(ns, nc);
});

const lines = (s: string) => s.split("\n").filter(Boolean);
// `jobs --json` is one document: {"jobs": [...], "total": N, "next": CURSOR | null}
const json = (s: string): { jobs: any[]; total: number; next: string | null } => {
  expect(lines(s).length).toBe(1);
  return JSON.parse(s);
};

describe("docctl jobs against the job index", () => {
  test("2 500 fresh jobs and 5 dead letters: every state, handler + state + limit, paging and counts are exact", async () => {
    for (let n = 0; n < 5; n++) expect((await client.submit("bad", { n }, { id: `bad-${n}` })).ok).toBe(false);
    const rs = await client.submitBatch("rec", Array.from({ length: 2500 }, (_, i) => ({ i })), { batch: "recs" });
    expect(rs.every((r) => r.ok)).toBe(true);
    expect((await listDead(nc)).length).toBe(5);

    const dead = await docctl(["jobs", "--state", "dead", "--json"], { env: env() });
    expect(dead.code).toBe(0);
    const deadJobs = json(dead.stdout);
    expect({ total: deadJobs.total, next: deadJobs.next }).toEqual({ total: 5, next: null });
    expect(deadJobs.jobs.map((j) => j.id).sort()).toEqual(["bad-0", "bad-1", "bad-2", "bad-3", "bad-4"]);
    expect(deadJobs.jobs[0].error.code).toBe("REJECTED");

    // a dead letter removed: that job is failed (its result is kept), the others stay dead
    const rm = await docctl(["dead", "rm", "bad-3"], { env: env() });
    expect(rm.code).toBe(0);
    expect(rm.stdout).toContain("removed 1 dead letter(s): bad-3");
    const failed = await docctl(["jobs", "--state", "failed"], { env: env() });
    expect(lines(failed.stdout).length).toBe(1);
    expect(failed.stdout).toContain("bad-3 [bad] failed");
    expect(failed.stderr).toContain("1 of 1 job(s)");

    const done = await docctl(["jobs", "--handler", "rec", "--state", "done", "--limit", "100", "--json"], { env: env() });
    const page = json(done.stdout);
    expect(page.jobs.length).toBe(100);
    expect(page.total).toBe(2500);
    expect(page.next).toMatch(/^\d+$/);
    expect(page.jobs.every((j) => j.handler === "rec" && j.state === "done")).toBe(true);
    // --after with the document's `next` gives the following page, none of the first one's jobs
    const second = json((await docctl(["jobs", "--handler", "rec", "--state", "done", "--limit", "100", "--after", page.next!, "--json"], { env: env() })).stdout);
    expect(second.jobs.length).toBe(100);
    expect(second.jobs.some((j) => page.jobs.some((k) => k.id === j.id))).toBe(false);
    // the cut is said, with the way to the next page
    const human = await docctl(["jobs", "--handler", "rec", "--state", "done", "--limit", "100"], { env: env() });
    expect(human.stderr).toMatch(/100 of 2500 job\(s\); next page: docctl jobs --state done --handler rec --limit 100 --after \d+/);

    // paging through all of them: every job once
    const seen = new Set<string>();
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const p = await client.jobs({ state: "done", handler: "rec", limit: 1000, after });
      for (const j of p.jobs) seen.add(j.id);
      if (!p.next) break;
      after = p.next;
    }
    expect(seen.size).toBe(2500);

    const counts = await docctl(["jobs", "--count", "--json"], { env: env() });
    expect(JSON.parse(counts.stdout)).toMatchObject({ done: 2500, dead: 4, failed: 1, queued: 0, scheduled: 0, retrying: 0, running: 0, cancelled: 0 });
    expect(await client.counts({ handler: "bad" })).toMatchObject({ dead: 4, failed: 1, done: 0 });
    expect((await client.jobs({ batch: "recs", limit: 1 })).total).toBe(2500);

    // one job, with its result
    const one = await docctl(["job", "recs-1234", "--json"], { env: env() });
    expect(JSON.parse(one.stdout)).toMatchObject({ id: "recs-1234", state: "done", handler: "rec", result: { ok: true, value: 1234 } });
  }, 240_000);

  test("scheduled jobs come soonest due first; promote runs one now", async () => {
    for (const [id, delay] of [["later", "3h"], ["soonest", "1h"], ["middle", "2h"]] as const) await client.enqueue("rec", { i: 1 }, { id, delay });
    const first = await docctl(["jobs", "--state", "scheduled", "--limit", "1"], { env: env() });
    expect(first.stdout).toContain("soonest [rec] scheduled");
    expect(first.stderr).toContain("1 of 3 job(s)");
    const all = await client.jobs({ state: "scheduled" });
    expect(all.jobs.map((j) => j.id)).toEqual(["soonest", "middle", "later"]);
    // pages of one, by the due-time cursor: each once, in order, the total on every page
    const paged: string[] = [];
    let after: string | undefined;
    for (let n = 0; n < 5; n++) {
      const p = await client.jobs({ state: "scheduled", limit: 1, after });
      expect(p.total).toBe(3);
      paged.push(...p.jobs.map((j) => j.id));
      if (!p.next) break;
      after = p.next;
    }
    expect(paged).toEqual(["soonest", "middle", "later"]);
    const p = await docctl(["promote", "middle"], { env: env() });
    if (process.env.DBG) console.log(p, await client.job("middle"));
    expect(p.code).toBe(0);
    await eventually(async () => (await client.job("middle"))?.state === "done", 30_000, "the promoted job ran");
    expect((await client.jobs({ state: "scheduled" })).jobs.map((j) => j.id)).toEqual(["soonest", "later"]);
  }, 60_000);
});

describe("retries", () => {
  test("a job waiting for its retry is `retrying` with its attempt, last error and next time; its log lines are kept", async () => {
    await client.enqueue("flaky", {}, { id: "flaky-slow", backoff: { type: "fixed", delay: "1h" } });
    const info = await eventually(async () => {
      const j = await client.job("flaky-slow");
      return j?.state === "retrying" ? j : undefined;
    }, 30_000);
    expect(info).toMatchObject({ state: "retrying", attempt: 1, maxAttempts: 3, error: { code: "UPSTREAM_BUSY", message: "upstream busy (attempt 1)" } });
    expect(info.nextAt! - Date.now()).toBeGreaterThan(3_500_000);
    const cli = await docctl(["job", "flaky-slow"], { env: env() });
    expect(cli.stdout).toMatch(/flaky-slow \[flaky\] retrying: attempt 1\/3 failed with UPSTREAM_BUSY: upstream busy \(attempt 1\); next attempt at \S+ \(in (59m|1h)/);
    const listed = await docctl(["jobs", "--state", "retrying", "--json"], { env: env() });
    expect(json(listed.stdout).jobs[0]).toMatchObject({ id: "flaky-slow", state: "retrying", attempt: 1 });
    const logs = await docctl(["job", "flaky-slow", "--logs"], { env: env() });
    expect(logs.stdout).toMatch(/warn +\[attempt 1\] attempt 1 of flaky-slow: upstream busy/);
    expect((await client.logs("flaky-slow")).map((l) => l.msg)).toEqual(["attempt 1 of flaky-slow: upstream busy"]);
  }, 60_000);

  test("per-job backoff spaces the attempts as asked; the dead letter has each attempt's error, worker, time and stack", async () => {
    const r = await client.submit("flaky", {}, { id: "flaky-gaps", backoff: ["400ms", "1500ms"] });
    expect(r.ok).toBe(false);
    const at = attemptsAt.get("flaky-gaps")!;
    expect(at.length).toBe(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(400);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(1500);
    const d = (await listDead(nc, "flaky")).find((e) => e.dead.job?.id === "flaky-gaps")!.dead;
    expect(d.history!.map((h) => [h.attempt, h.error.message, h.worker])).toEqual([
      [1, "upstream busy (attempt 1)", worker.id],
      [2, "upstream busy (attempt 2)", worker.id],
      [3, "upstream busy (attempt 3)", worker.id],
    ]);
    expect(d.history![0]!.stack).toContain("job-index.test.ts:");
    const e = await client.jobs({ state: "dead", handler: "flaky" });
    expect(e.jobs.map((j) => j.id)).toContain("flaky-gaps");
  }, 60_000);
});

describe("queue operations", () => {
  test("purge says how many it would remove, removes them with --yes, and the index agrees", async () => {
    for (let i = 0; i < 30; i++) await client.enqueue("idle", { i }, { id: `idle-${i}`, create: true });
    expect((await client.counts({ handler: "idle" })).queued).toBe(30);
    const dry = await docctl(["purge", "idle"], { env: env() });
    expect(dry.stdout).toContain("30 queued job(s) of idle would be removed; run again with --yes");
    expect((await client.counts({ handler: "idle" })).queued).toBe(30);
    const yes = await docctl(["purge", "idle", "--yes", "--json"], { env: env() });
    expect(JSON.parse(yes.stdout)).toEqual({ handler: "idle", state: "queued", count: 30, purged: 30 });
    expect((await client.counts({ handler: "idle" })).queued).toBe(0);

    expect((await client.counts({ handler: "bad" })).dead).toBe(4);
    const pd = await docctl(["purge", "bad", "--state", "dead", "--yes"], { env: env() });
    expect(pd.stdout).toContain("removed 4 dead job(s) of bad");
    expect(await client.counts({ handler: "bad" })).toMatchObject({ dead: 0, failed: 5 });
  }, 60_000);

  test("a batch submitted in atomic chunks is in the index as queued, each job once", async () => {
    const jobs = Array.from({ length: 1200 }, (_, i) => ({ handler: "idle3", id: `idle3-${i}`, payload: { i } }));
    const r = await docctl(["submit", "-", "--create", "--no-wait"], { env: env(), stdin: JSON.stringify(jobs), timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect((await client.counts({ handler: "idle3" })).queued).toBe(1200);
    expect(await client.job("idle3-1100")).toMatchObject({ state: "queued", handler: "idle3" });
    const yes = await docctl(["purge", "idle3", "--yes", "--json"], { env: env() });
    expect(JSON.parse(yes.stdout)).toMatchObject({ handler: "idle3", state: "queued", purged: 1200 });
  }, 90_000);

  test("reprioritize moves a queued job to another priority", async () => {
    await client.enqueue("idle2", { x: 1 }, { id: "idle2-a", create: true });
    const r = await docctl(["reprioritize", "idle2-a", "high"], { env: env() });
    expect(r.stdout).toContain("idle2-a: now high");
    expect(await client.job("idle2-a")).toMatchObject({ state: "queued", priority: "high" });
    const again = await docctl(["reprioritize", "idle2-a", "high"], { env: env() });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("it is already high");
  }, 30_000);
});

describe("events", () => {
  test("client.events() follows completions, retries and dead jobs across the fleet", async () => {
    const feed = await client.events();
    const got: JobEvent[] = [];
    const reading = (async () => {
      for await (const e of feed) {
        got.push(e);
        if (got.some((x) => x.kind === "dead" && x.id === "ev-flaky")) break;
      }
    })();
    await client.submit("rec", { i: 7 }, { id: "ev-ok" });
    await client.submit("flaky", {}, { id: "ev-flaky", attempts: 2, backoff: { type: "fixed", delay: "100ms" } });
    await reading;
    const mine = got.filter((e) => e.id.startsWith("ev-")).map((e) => `${e.kind} ${e.id}`);
    expect(mine).toEqual(["completed ev-ok", "retrying ev-flaky", "dead ev-flaky"]);
  }, 30_000);

  test("docctl events --json prints them as they happen", async () => {
    const bg = spawnDocctl(["events", "--handler", "rec", "--json"], { env: env() });
    try {
      await bg.waitFor(/following/, 20_000);
      await client.submit("rec", { i: 8 }, { id: "ev-cli" });
      await eventually(() => bg.output().includes(`"id":"ev-cli"`), 20_000, "the event line");
      expect(JSON.parse(lines(bg.output()).find((l) => l.includes(`"id":"ev-cli"`))!)).toMatchObject({ kind: "completed", id: "ev-cli", handler: "rec", attempt: 1 });
    } finally {
      await bg.stop("SIGINT");
    }
  }, 40_000);
});
