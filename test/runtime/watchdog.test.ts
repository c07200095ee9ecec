// The watchdog's pure decisions and the attempt accounting of jobs in a proc that ended.
import { describe, expect, test } from "bun:test";
import { handBackDelays, jobFates, watchdogVerdict, watchdogDefaults } from "../../core/runtime/supervisor/watchdog.ts";
import { jitteredLifetime } from "../../core/runtime/supervisor/recycle.ts";
import { attemptOf, describeEnds, maySpare, MAX_UNCHARGED, parseNotes, type AttemptNotesV1 } from "../../core/runtime/protocol/attempts.ts";

const job = (id: string, startedAt: number, timeoutMs?: number) => ({ id, handler: "h", startedAt, timeoutMs });

describe("watchdogVerdict", () => {
  test("a proc heard from recently is left alone", () => {
    expect(watchdogVerdict(10_000, 9_500, [job("a", 0, 2000)])).toEqual({ action: "ok" });
  });
  test("silent past the hold threshold with a job in flight: its jobs are held, not yet killed", () => {
    expect(watchdogVerdict(10_000, 10_000 - 4000, [job("a", 5000, 2000)]).action).toBe("hold");
  });
  test("silent past the running job's limit plus the grace: killed, the reason names the job and the limit", () => {
    const v = watchdogVerdict(20_000, 20_000 - 7100, [job("spin-1", 12_950, 2000)]);
    expect(v.action).toBe("kill");
    if (v.action === "kill") {
      expect(v.limitMs).toBe(2000);
      expect(v.reason).toContain("h/spin-1");
      expect(v.reason).toContain("limit 2000ms + grace 5000ms");
    }
  });
  test("a job whose limit passed during the silence is enough, whatever its neighbours' limits; with no job the idle limit counts", () => {
    // the spinning job started after the last report (its start notice names it), its neighbour has 60 s
    const v = watchdogVerdict(100_000, 92_000, [job("spin", 92_500, 2000), job("slow", 90_000, 60_000)]);
    expect(v.action).toBe("kill");
    if (v.action === "kill") expect(v.reason).toContain("h/spin");
    // a job past its limit while the loop kept answering is its own timer's business, not the watchdog's
    expect(watchdogVerdict(100_000, 99_900, [job("late", 0, 2000)]).action).toBe("ok");
    expect(watchdogVerdict(100_000, 100_000 - 8000, []).action).toBe("ok");
    expect(watchdogVerdict(100_000, 100_000 - watchdogDefaults.idleLimitMs - watchdogDefaults.graceMs - 1, []).action).toBe("kill");
  });
});

describe("jobFates", () => {
  test("watchdog: the job past its own limit is charged, the neighbours are not", () => {
    const f = jobFates({ kind: "watchdog", now: 10_000 }, [job("spin", 1000, 2000), job("echo", 1500, 60_000)]);
    expect(f.map((x) => [x.job.id, x.cause, x.charged])).toEqual([["spin", "watchdog", true], ["echo", "neighbour", false]]);
  });
  test("a crash with one job in flight charges it; with several nobody can tell, none is charged", () => {
    expect(jobFates({ kind: "crash", now: 0 }, [job("a", 0)])[0]).toMatchObject({ cause: "crash", charged: true });
    expect(jobFates({ kind: "crash", now: 0 }, [job("a", 0), job("b", 0)]).every((x) => !x.charged && x.cause === "neighbour")).toBe(true);
  });
  test("a proc stopped by force charges its jobs (an attempt cut short), noting why", () => {
    expect(jobFates({ kind: "stopped", now: 0 }, [job("a", 0)])[0]).toMatchObject({ cause: "stopped", charged: true });
  });
});

describe("attempt notes", () => {
  const notes = (charged: boolean[]): AttemptNotesV1 => ({
    v: 1,
    id: "j",
    ended: charged.map((c, i) => ({ delivery: i + 1, cause: c ? "crash" : "neighbour", charged: c, message: `m${i + 1}`, worker: "w", proc: "proc-1", at: 0 })),
  });
  test("spared deliveries do not count as attempts", () => {
    expect(attemptOf(1, undefined)).toBe(1);
    expect(attemptOf(3, notes([false, false]))).toBe(1);
    expect(attemptOf(3, notes([true, false]))).toBe(2);
  });
  test("a job is spared at most MAX_UNCHARGED times, so a crasher among neighbours still ends", () => {
    expect(maySpare(notes(Array(MAX_UNCHARGED - 1).fill(false)))).toBe(true);
    expect(maySpare(notes(Array(MAX_UNCHARGED).fill(false)))).toBe(false);
  });
  test("the ends are described for people, and foreign values are ignored", () => {
    expect(describeEnds(notes([true, false]))).toBe("delivery 1: m1; delivery 2 (not counted): m2");
    expect(parseNotes("not json")).toBeUndefined();
    expect(parseNotes(JSON.stringify({ v: 2 }))).toBeUndefined();
  });
});

describe("recycling jitter", () => {
  test("lifetimes are spread over the last fifth before --max-lifetime, never past it", () => {
    expect(jitteredLifetime(3_600_000, 0)).toBe(3_600_000);
    expect(jitteredLifetime(3_600_000, 0.5)).toBe(3_240_000);
    expect(jitteredLifetime(3_600_000, 0.999999)).toBeGreaterThanOrEqual(2_880_000);
    // procs started together get different moments
    const moments = new Set([0.1, 0.4, 0.7].map((r) => jitteredLifetime(600_000, r)));
    expect(moments.size).toBe(3);
  });
});

describe("handBackDelays", () => {
  const fate = (id: string, startedAt: number, charged: boolean) => ({ job: job(id, startedAt), cause: (charged ? "crash" : "neighbour") as "crash" | "neighbour", charged });
  test("bystanders at once, the charged job a spacing later", () => {
    const d = handBackDelays([fate("late", 500, false), fate("early", 100, false), fate("culprit", 900, true)], { spacingMs: 5000, chargedMinMs: 3000 });
    expect(d).toEqual([0, 0, 5000]);
  });
  test("nobody charged (a crash with several in flight): the job started last is the suspect", () => {
    const d = handBackDelays([fate("a", 100, false), fate("b", 900, false), fate("c", 500, false)], { spacingMs: 5000, chargedMinMs: 3000 });
    expect(d).toEqual([0, 5000, 0]);
    // however many were in flight, nobody waits longer than the spacing
    expect(Math.max(...handBackDelays(Array.from({ length: 64 }, (_, i) => fate(`j${i}`, i, false))))).toBe(5000);
  });
  test("a job charged alone waits past the replacement's start window", () => {
    expect(handBackDelays([fate("poison", 0, true)], { spacingMs: 2000, chargedMinMs: 3000 })).toEqual([3000]);
    expect(handBackDelays([fate("spare", 0, false)], { spacingMs: 5000, chargedMinMs: 3000 })).toEqual([0]);
  });
});
