// One drain bound end to end: the units' TimeoutStopSec, the worker's and the manager's --drain-timeout
// (set in the units through their DOCCTL_<COMMAND>_DRAIN_TIMEOUT), and the droplet's copy of the unit.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDuration } from "../../core/runtime/util/duration.ts";
import { drainDefaults } from "../../core/runtime/client/fleet.ts";
import { renderCloudInit } from "../../core/scaler/providers/cloud-init.ts";

const dir = join(import.meta.dir, "..", "..", "systemd");
/** A systemd time span (`300`, `330s`, `5min`) in ms. */
const span = (v: string) => (/^\d+$/.test(v) ? Number(v) * 1000 : parseDuration(v.replace(/min$/, "m"), "TimeoutStopSec"));
function bounds(unit: string, envVar: string) {
  const stop = unit.match(/^TimeoutStopSec=(\S+)$/m)?.[1];
  const drain = unit.match(new RegExp(`^Environment=${envVar}=(\\S+)$`, "m"))?.[1];
  expect(stop).toBeDefined();
  expect(drain).toBeDefined();
  return { stopMs: span(stop!), drainMs: parseDuration(drain!, envVar) };
}

test("a worker under systemd drains for as long as its unit lets it, and ends its procs itself just before", () => {
  for (const unit of [
    readFileSync(join(dir, "docctl-worker.service"), "utf8"),
    (Bun.YAML.parse(renderCloudInit({ natsUrl: "nats://10.0.0.2:4222" })) as { write_files: { path: string; content: string }[] }).write_files.find((f) => f.path.endsWith(".service"))!.content,
  ]) {
    const b = bounds(unit, "DOCCTL_WORKER_DRAIN_TIMEOUT");
    expect(b.drainMs).toBeLessThan(b.stopMs);
    expect(b.stopMs - b.drainMs).toBeLessThanOrEqual(15_000);
    // the manager's default drain of a droplet covers the worker's own
    expect(drainDefaults.timeoutMs).toBeGreaterThanOrEqual(b.drainMs);
  }
});

test("the manager's unit outlasts its drain of local workers", () => {
  const b = bounds(readFileSync(join(dir, "docctl-manager.service"), "utf8"), "DOCCTL_MANAGER_DRAIN_TIMEOUT");
  expect(b.drainMs).toBe(drainDefaults.timeoutMs);
  expect(b.stopMs).toBeGreaterThan(b.drainMs + 10_000);
});
