// The watchdog's effects on a proc that goes silent (proc-watch.ts), with the real job file and the real
// NATS job keeper: a job that starts after the watchdog has already looked at a silent proc's job file
// is still found, held (in-progress acks on its ack subject) and, past its limit plus the grace, killed.
// Found under load (test/e2e/watchdog.test.ts "while the watchdog waits ... it still runs only once"
// ended ATTEMPTS_EXHAUSTED instead of TIMEOUT): the file was read once per silence, and a healthy proc
// is "silent" past the 1 s hold threshold for a moment in most of its 1-1.25 s stats cycles.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { watchProcs } from "../../core/runtime/supervisor/proc-watch.ts";
import { newRecord } from "../../core/runtime/supervisor/proc-record.ts";
import { JobFileReader, JobFileWriter } from "../../core/runtime/supervisor/job-file.ts";
import { natsJobKeeper } from "../../core/runtime/supervisor/job-keeper.ts";
import { watchdogDefaults } from "../../core/runtime/supervisor/watchdog.ts";
import type { SpawnedProc } from "../../core/runtime/supervisor/proc-spawn.ts";
import { silentLogger } from "../../core/runtime/util/log.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { eventually } from "../helpers/eventually.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ({ ns, nc } = await setup());
}, 60_000);
afterAll(async () => {
  await cleanup(ns, nc);
});

/** a real child process standing in for the proc (the watchdog only signals it) */
function sleeper(): SpawnedProc & { signals: string[] } {
  const p = Bun.spawn(["sleep", "120"], { stdout: "ignore", stderr: "ignore" });
  const signals: string[] = [];
  return {
    pid: p.pid,
    signals,
    send() {},
    kill(signal) {
      signals.push(signal);
      p.kill(signal);
    },
    exited: p.exited.then((code) => ({ code, signal: p.signalCode === null ? null : String(p.signalCode) })),
    stderrTail: () => [],
  };
}

describe("watchProcs", () => {
  test("a job started after the watchdog read a silent proc's job file is still held, then killed past its limit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "docctl-procwatch-"));
    const reader = new JobFileReader(join(dir, "p.job"));
    const writer = new JobFileWriter(reader.path);
    const child = sleeper();
    const acks: string[] = [];
    const sub = nc.subscribe("test.ack.spin-1", { callback: (_e, m) => void acks.push(m.string()) });
    await nc.flush();
    const r = newRecord({ name: "proc-1", handler: null });
    r.child = child;
    r.m = { ...r.m, state: "RUNNING" };
    r.jobFile = reader;
    const o = { watchdog: watchdogDefaults, keeper: natsJobKeeper(nc, undefined, "w-1", silentLogger()), log: silentLogger() };
    try {
      const t0 = Date.now();
      r.heardAt = t0; // its last stats
      // 1.1 s later the stats are a little late (a loaded machine): past the hold threshold, nothing in flight
      watchProcs([r], t0 + 1100, o);
      expect(acks).toEqual([]);
      // now the job starts and blocks the event loop at once: no stats name it, only its job file
      writer.started({ id: "spin-1", handler: "spin", startedAt: t0 + 1150, timeoutMs: 2000, reply: "test.ack.spin-1", delivery: 1, attempt: 1, maxAttempts: 1 });
      watchProcs([r], t0 + 1350, o);
      // held: JetStream must not hand it to another proc at the ack wait while this one still runs it
      await eventually(() => acks.includes("+WPI"), 15_000, "an in-progress ack on the job's ack subject");
      expect(child.signals).toEqual([]);
      // past its 2 s limit plus the grace, with the loop still silent: stuck, killed, the job named
      watchProcs([r], t0 + 1150 + 2000 + watchdogDefaults.graceMs + 100, o);
      expect(child.signals).toEqual(["SIGKILL"]);
      expect(r.killedBy).toContain("spin/spin-1");
      expect((await child.exited).signal).toBe("SIGKILL");
    } finally {
      sub.unsubscribe();
      child.kill("SIGKILL");
      writer.close();
      reader.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
