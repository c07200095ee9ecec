import { describe, expect, test } from "bun:test";
import { renderStatus } from "../../cmd/commands/status.ts";
import type { PresenceV1, PresenceProcV1 } from "../../core/runtime/protocol/control.ts";

const NOW = 1_800_000_000_000;
const proc = (o: Partial<PresenceProcV1>): PresenceProcV1 => ({
  name: "proc-1", handler: null, pid: 101, state: "RUNNING", loop: "running", restarts: 0, jobs_done: 0, jobs_failed: 0,
  in_flight: [], started_at: NOW - 60_000, last_exit: null, ...o,
});
const worker = (o: Partial<PresenceV1>): PresenceV1 => ({
  v: 1, id: "web-1-4711", host: "web-1", pid: 4711, version: "0.1.0", started_at: NOW - 125_000, updated_at: NOW - 1000,
  state: "running", in_flight: 0, procs: [], labels: {}, ...o,
});

describe("docctl status output", () => {
  test("a worker block per worker: procs with their job and its age, FATAL with its exit, then the lag table", () => {
    const out = renderStatus(
      [worker({
        in_flight: 1,
        labels: { zone: "fra1" },
        procs: [
          proc({ jobs_done: 12, in_flight: [{ id: "job-7", handler: "pdf", age_ms: 3200 }] }),
          proc({ name: "pdf-1", handler: "pdf", pid: null, state: "FATAL", loop: null, restarts: 3, last_exit: { code: 2, signal: null, ran_ms: 40, planned: false, at: NOW - 5000 } }),
        ],
      })],
      [{ handler: "pdf", pending: 3, ackPending: 1, lag: 4 }],
      NOW,
    );
    expect(out).toContain("web-1-4711  running  (host web-1, pid 4711, docctl 0.1.0, up 2m5s, 1 in flight)");
    expect(out).toContain("labels: zone=fra1");
    expect(out).toMatch(/proc-1\s+101\s+RUNNING\s+running\s+0\s+12\s+0\s+pdf\/job-7 \(3\.2s\)/);
    expect(out).toMatch(/pdf-1\s+-\s+FATAL \(exit 2\)\s+-\s+3/);
    expect(out).toMatch(/pdf\s+3\s+1\s+4/);
    expect(out).not.toContain("STALE");
  });

  test("an entry not refreshed for a while is marked stale and its uptime stops", () => {
    const out = renderStatus([worker({ updated_at: NOW - 20_000 })], [], NOW);
    expect(out).toContain("up 1m45s");
    expect(out).toContain("STALE: last heard of 20.0s ago");
  });

  test("nothing running says what to do", () => {
    expect(renderStatus([], [], NOW)).toContain("No live workers. Start one with `docctl worker` (or `docctl up`, which starts them when jobs wait).");
    // under `docctl up` (or a manager at zero) the manager starts them: no advice to start one by hand
    const managed = renderStatus([], [], NOW, undefined, "local");
    expect(managed).toContain("No live workers: the manager (provider local) starts them when jobs wait.");
    expect(managed).not.toContain("Start one with");
  });
});
