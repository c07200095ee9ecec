// The pure decisions of job control: which priority a slot takes, rate spacing, schedule ticks and the
// missed-tick policy, progress normalisation, job-file forms and the wire checks of the new fields.
import { describe, expect, test } from "bun:test";
import { FAIRNESS_EVERY, pickPriority } from "../../core/runtime/worker/priority.ts";
import { nextRateStart, parseRate } from "../../core/runtime/worker/limit-policy.ts";
import { progressOf } from "../../core/runtime/worker/progress.ts";
import { cronProblem, jobFileForTick, nextTick, scheduleHeaders, serverCron } from "../../core/runtime/client/schedule-spec.ts";
import { idForTick, jobForTick, scheduleNameOf, tickId, tickOf } from "../../core/runtime/protocol/ticks.ts";
import { atScheduleHeaders } from "../../core/runtime/nats/delays.ts";
import { parseJobFile } from "../../core/runtime/client/jobfile.ts";
import { decodeJob, encodeValue } from "../../core/runtime/protocol/codec.ts";
import { prioritySubject, priorityConsumer } from "../../core/runtime/protocol/subjects.ts";
import { lagReading } from "../../core/runtime/client/lag.ts";
import { parsePresence } from "../../core/runtime/protocol/control.ts";

describe("priorities", () => {
  test("a free slot takes high before normal before low", () => {
    expect(pickPriority({ high: true, normal: true, low: true }, 0).priority).toBe("high");
    expect(pickPriority({ high: false, normal: true, low: true }, 0).priority).toBe("normal");
    expect(pickPriority({ high: false, normal: false, low: true }, 0).priority).toBe("low");
  });

  test("low is not starved: after FAIRNESS_EVERY starts passing it over, the lowest waiting goes next", () => {
    let streak = 0;
    const picks: string[] = [];
    for (let i = 0; i < 2 * (FAIRNESS_EVERY + 1); i++) {
      const c = pickPriority({ high: true, normal: false, low: true }, streak);
      streak = c.streak;
      picks.push(c.priority);
    }
    expect(picks.filter((p) => p === "low")).toHaveLength(2);
    expect(picks.indexOf("low")).toBe(FAIRNESS_EVERY);
  });

  test("subjects and consumers: normal keeps the v1 subject", () => {
    expect(prioritySubject("pdf")).toBe("docctl.tasks.pdf");
    expect(prioritySubject("pdf", "high")).toBe("docctl.tasks.pdf.high");
    expect(priorityConsumer("pdf", "low")).toBe("docctl_low-pdf");
    expect(priorityConsumer("pdf", "normal")).toBe("docctl-pdf");
  });

  test("a handler's lag sums its three priority consumers", () => {
    const l = lagReading(
      [
        { name: "docctl-pdf", num_pending: 2, num_ack_pending: 1 },
        { name: "docctl_high-pdf", num_pending: 3, num_ack_pending: 0 },
        { name: "docctl_low-pdf", num_pending: 4, num_ack_pending: 1 },
      ],
      {},
    );
    expect(l.handlers).toHaveLength(1);
    expect(l.total).toBe(11);
  });
});

describe("rate limits", () => {
  test("starts are spaced per_ms/count apart, so no window of per_ms holds more than count", () => {
    const rate = parseRate("5/s")!;
    expect(rate).toEqual({ count: 5, per_ms: 1000 });
    let next = 0;
    const starts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = nextRateStart(next, 1000, rate); // everyone asks at t=1000
      starts.push(r.startAt);
      next = r.next;
    }
    for (let i = 0; i + 5 < starts.length; i++) expect(starts[i + 5]! - starts[i]!).toBeGreaterThanOrEqual(1000);
    expect(parseRate("100/m")).toEqual({ count: 100, per_ms: 60_000 });
    expect(parseRate("0/s")).toBeUndefined();
    expect(parseRate("fast")).toBeUndefined();
  });
});

describe("schedules", () => {
  const created = Date.UTC(2030, 0, 1, 0, 0, 0);
  test("every: the next run counted from the schedule's creation (or the last recorded tick)", () => {
    const s = { every_ms: 600_000, created_at: created };
    expect(nextTick(s, created + 25 * 60_000)).toBe(created + 30 * 60_000);
    expect(nextTick(s, created + 25 * 60_000, created + 21 * 60_000)).toBe(created + 31 * 60_000);
  });

  test("cron in a time zone: 0 2 * * * in Europe/Paris is 01:00 UTC in winter", () => {
    const s = { cron: "0 2 * * *", tz: "Europe/Paris", created_at: created };
    expect(new Date(nextTick(s, Date.UTC(2030, 0, 2, 12))!).toISOString()).toBe("2030-01-03T01:00:00.000Z");
  });

  test("the headers the server fires a schedule with: 6-field cron with its zone, @every in Go syntax, @at in UTC", () => {
    expect(serverCron("0 2 * * *")).toBe("0 0 2 * * *");
    expect(serverCron("*/5 * * * * *")).toBe("*/5 * * * * *");
    expect(scheduleHeaders({ cron: "0 2 * * *", tz: "Europe/Paris" }, "docctl.tasks.echo")).toEqual({
      "Nats-Schedule": "0 0 2 * * *",
      "Nats-Schedule-Target": "docctl.tasks.echo",
      "Nats-Schedule-Time-Zone": "Europe/Paris",
    });
    expect(scheduleHeaders({ every_ms: 90_000 }, "docctl.tasks.echo")["Nats-Schedule"]).toBe("@every 90s");
    expect(scheduleHeaders({ every_ms: 1500 }, "docctl.tasks.echo")["Nats-Schedule"]).toBe("@every 1500ms");
    expect(atScheduleHeaders(Date.UTC(2030, 0, 1, 0, 0, 0, 1), "docctl.tasks.pdf.high")).toEqual({
      "Nats-Schedule": "@at 2030-01-01T00:00:00.001Z",
      "Nats-Schedule-Target": "docctl.tasks.pdf.high",
    });
  });

  test("tick ids: the worker puts the tick into every id based on the schedule, and only those", () => {
    expect(tickId("nightly", 1000)).toBe("sched-nightly-1000");
    expect(tickOf(1_893_466_800_734)).toBe(1_893_466_800_000);
    expect(scheduleNameOf("docctl.schedule.nightly.0")).toBe("nightly");
    expect(scheduleNameOf("docctl.delay.abc")).toBeUndefined();
    expect(scheduleNameOf(undefined)).toBeUndefined();
    expect(idForTick("sched-n", "n", 5000)).toBe("sched-n-5000");
    expect(idForTick("sched-n-3", "n", 5000)).toBe("sched-n-5000-3");
    expect(idForTick("sched-n-then", "n", 5000)).toBe("sched-n-5000-then");
    expect(idForTick("sched-nx", "n", 5000)).toBe("sched-nx");
    const j = jobForTick(
      { v: 1, id: "sched-n-0", batch: "sched-n", handler: "a", payload: 1, submitted_at: 0, next: [{ id: "sched-n-1", handler: "b" }], then: { id: "sched-n-then", handler: "c", count: 2 } },
      "n",
      7000,
    );
    expect([j.id, j.batch, j.next![0]!.id, j.then!.id]).toEqual(["sched-n-7000-0", "sched-n-7000", "sched-n-7000-1", "sched-n-7000-then"]);
    expect(JSON.parse(jobFileForTick({ handler: "echo", payload: 1, id: "x" }, "b"))).toMatchObject({ id: "b" });
    expect(JSON.parse(jobFileForTick([{ handler: "echo", payload: 1 }, { handler: "echo", payload: 2 }], "b")).map((j: { id: string }) => j.id)).toEqual(["b-0", "b-1"]);
  });

  test("bad cron expressions and time zones are named", () => {
    expect(cronProblem("0 2 * * *", "Europe/Paris")).toBeUndefined();
    expect(cronProblem("*/5 * * * * *")).toBeUndefined();
    expect(cronProblem("99 * * * *")).toContain(`--cron "99 * * * *" is not a cron expression`);
    expect(cronProblem("0 2 * * *", "Mars/Olympus")).toContain(`--tz "Mars/Olympus" is not a time zone`);
  });
});

describe("progress", () => {
  test("a fraction or done/total, clamped; nonsense is a TypeError", () => {
    expect(progressOf(0.4)).toEqual({ fraction: 0.4 });
    expect(progressOf(7)).toEqual({ fraction: 1 });
    expect(progressOf({ done: 3, total: 4, message: "page 3" })).toEqual({ done: 3, total: 4, message: "page 3", fraction: 0.75 });
    expect(() => progressOf(NaN)).toThrow(TypeError);
    expect(() => progressOf({ done: -1 })).toThrow(/"done" must be a number of at least 0/);
  });
});

describe("job files", () => {
  test("a chain: step ids <chain>-<i>, the last one is the chain's id, later steps travel with the first", () => {
    const plan = parseJobFile(JSON.stringify({ id: "c", chain: [{ handler: "a", payload: 1 }, { handler: "b" }, { handler: "c", payload: 2 }] }), "f");
    const [first] = [...plan.jobs];
    expect(plan.kind).toBe("chain");
    expect(plan.handlers.sort()).toEqual(["a", "b", "c"]);
    expect(first).toMatchObject({ id: "c-0", handler: "a", payload: 1, resultId: "c" });
    expect(first!.next).toEqual([{ id: "c-1", handler: "b" }, { id: "c", handler: "c", payload: 2 }]);
  });

  test("a batch with then: every item carries the reduce step, whose result is waited for last", () => {
    const plan = parseJobFile(JSON.stringify({ id: "m", handler: "inc", batch: [1, 2], then: { handler: "sum", on_failure: "null" } }), "f");
    const jobs = [...plan.jobs];
    expect(jobs.map((j) => j.id)).toEqual(["m-0", "m-1", "m-then"]);
    expect(jobs[0]!.then).toEqual({ handler: "sum", on_failure: "null", id: "m-then", count: 2 });
    expect(jobs[2]!.virtual).toBe(true);
  });

  test("delay, run_at and priority errors say where", () => {
    expect(() => parseJobFile(`{"handler":"a","payload":1,"priority":"asap"}`, "j.json")).toThrow(`j.json:1:39: "priority" must be one of "high", "normal", "low" (got "asap")`);
    expect(() => parseJobFile(`{"handler":"a","payload":1,"delay":"1x"}`, "j.json")).toThrow(/j\.json:1:36: "delay": "1x" is not a duration/);
    expect(() => parseJobFile(`{"handler":"a","payload":1,"delay":"1s","run_at":"2099-01-01T00:00:00Z"}`, "j.json")).toThrow(`give "delay" or "run_at", not both`);
    expect(() => parseJobFile(`{"chain":[]}`, "j.json")).toThrow(`"chain" is empty`);
    expect(() => parseJobFile(`{"handler":"a","batch":[1],"then":{"handler":"s","on_failure":"skip"}}`, "j.json")).toThrow(`"on_failure" must be "fail"`);
    expect(parseJobFile(`{"handler":"a","payload":1,"delay":"90s","priority":"high"}`, "j.json")).toMatchObject({ longestDelayMs: 90_000 });
  });

  test("the wire: a mistyped job-control field from a foreign client is a BAD_MESSAGE with the field named", () => {
    const base = { v: 1, id: "a", batch: "a", handler: "h", payload: 1, submitted_at: 1 };
    expect(decodeJob(encodeValue({ ...base, priority: "urgent" }))).toEqual({ ok: false, problem: `field "priority" must be one of high, normal, low, got "urgent"` });
    expect(decodeJob(encodeValue({ ...base, next: [{ id: "x y", handler: "h" }] })).ok).toBe(false);
    expect(decodeJob(encodeValue({ ...base, then: { id: "t", handler: "h", count: 0 } }))).toEqual({ ok: false, problem: `field "then".count must be a positive integer, got 0` });
    expect(decodeJob(encodeValue({ ...base, priority: "high", run_at: 5, next: [{ id: "b", handler: "h" }] })).ok).toBe(true);
  });
});

describe("presence", () => {
  test("in-flight jobs keep their batch, attempt, start and progress; mistyped ones are dropped", () => {
    const p = parsePresence({
      v: 1,
      id: "w1",
      procs: [{ name: "proc-1", in_flight: [{ id: "a", handler: "h", age_ms: 5, batch: "b", attempt: 2, started_at: 10, progress: { done: 1, total: 4, message: "x", junk: true } }, { id: "c", handler: "h", age_ms: 1, batch: 7, progress: "half" }] }],
    })!;
    expect(p.procs[0]!.in_flight).toEqual([
      { id: "a", handler: "h", age_ms: 5, batch: "b", attempt: 2, started_at: 10, progress: { done: 1, total: 4, message: "x" } },
      { id: "c", handler: "h", age_ms: 1 },
    ]);
  });

  test("an entry that fits the schema is taken as it is; one that does not is repaired to the same shape", () => {
    const proc = { name: "proc-1", handler: null, pid: 42, state: "RUNNING", loop: "running", restarts: 0, jobs_done: 3, jobs_failed: 0, in_flight: [{ id: "a", handler: "h", age_ms: 5 }], started_at: 1, last_exit: null };
    const entry = { v: 1, id: "w1", host: "h", pid: 1, version: "1.0.0", started_at: 1, updated_at: 2, state: "running", in_flight: 1, procs: [proc], labels: { zone: "a" } };
    expect(parsePresence(entry)).toBe(entry as never);
    // the same entry with a long watchdog reason and a stray key in a proc: rebuilt, clipped, the stray key dropped
    const odd = { ...entry, procs: [{ ...proc, last_kill: "x".repeat(400), stray: true }] };
    const fixed = parsePresence(odd)!;
    expect(fixed).not.toBe(odd as never);
    expect(fixed.procs[0]!.last_kill).toHaveLength(300);
    expect("stray" in fixed.procs[0]!).toBe(false);
    expect(parsePresence({ ...entry, id: "" })).toBeUndefined();
    expect(parsePresence({ ...entry, procs: "none" })).toBeUndefined();
  });
});
