// The docs state defaults and shapes; these tests hold them to the code's defaults objects, so a changed
// default (or a new wire setting) fails here until the page says the same.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDuration } from "../../core/runtime/util/duration.ts";
import { procPolicyDefaults } from "../../core/runtime/supervisor/proc-state.ts";
import { watchdogDefaults } from "../../core/runtime/supervisor/watchdog.ts";
import { supervisorDefaults } from "../../core/runtime/supervisor/supervisor.ts";
import { workerLoopDefaults } from "../../core/runtime/worker/loop.ts";
import { topologyDefaults, streamConfigs, taskConsumerConfig } from "../../core/runtime/nats/topology.ts";
import { jobRetryBackoff } from "../../core/runtime/util/backoff.ts";
import { submitDefaults } from "../../core/runtime/client/submit.ts";
import { submitCliDefaults } from "../../cmd/commands/submit.ts";
import { statusDefaults } from "../../cmd/commands/status.ts";

const ROOT = resolve(import.meta.dir, "../..");
const doc = (name: string) => readFileSync(join(ROOT, "docs", name), "utf8");

/** The cells of the table rows of `md` whose first cell starts with `` `--flag `` (every row of that flag). */
function rows(md: string, flag: string): string[][] {
  return md
    .split("\n")
    .filter((l) => l.startsWith(`| \`${flag} `) || l.startsWith(`| \`${flag}\``))
    .map((l) => l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim().replace(/^`|`$/g, "")));
}

/** A default cell as a number: a count, or a duration in ms. */
const value = (cell: string) => (/^\d+$/.test(cell) ? Number(cell) : parseDuration(cell, "default"));

test("docs/worker.md: the supervisor's option table states the defaults the code has", () => {
  const md = doc("worker.md");
  const want: [string, number][] = [
    ["--max-fast-restarts", procPolicyDefaults.maxFastRestarts],
    ["--start-window", procPolicyDefaults.startWindowMs],
    ["--drain-timeout", supervisorDefaults.drainTimeoutMs],
    ["--watchdog-grace", watchdogDefaults.graceMs],
  ];
  for (const [flag, v] of want) {
    const r = rows(md, flag);
    expect(r.length, `${flag} has a row in worker.md`).toBeGreaterThan(0);
    expect([flag, value(r[0][1])]).toEqual([flag, v]);
  }
  // the watchdog's limit with nothing running, stated in the --watchdog-grace row
  expect(rows(md, "--watchdog-grace")[0][2]).toContain(`${watchdogDefaults.idleLimitMs / 1000} s plus DUR with nothing running`);
});

test("docs/config.md: the settings table states the defaults the code has", () => {
  const md = doc("config.md");
  // [flag, its section in the table, the default]
  const want: [string, string, number][] = [
    ["--concurrency", "[worker]", workerLoopDefaults.concurrency],
    ["--ack-wait", "[worker]", topologyDefaults.ackWaitMs],
    ["--timeout", "[worker]", workerLoopDefaults.timeoutMs],
    ["--max-attempts", "[worker]", workerLoopDefaults.maxAttempts],
    ["--retry-base", "[worker]", jobRetryBackoff.initialMs],
    ["--timeout", "[submit]", submitDefaults.timeoutMs],
    ["--reconnect-grace", "[submit]", submitCliDefaults.reconnectGraceMs],
    ["--forget-after", "[status]", statusDefaults.forgetAfterMs],
  ];
  for (const [flag, section, v] of want) {
    const r = rows(md, flag).find((c) => c[1].includes(section));
    expect(r, `${flag} ${section} has a row in config.md`).toBeDefined();
    expect([flag, section, value(r![3])]).toEqual([flag, section, v]);
  }
});

test("docs/protocol.md: the streams' subjects and ages and the task consumers' settings are the code's", () => {
  const md = doc("protocol.md");
  const row = (name: string) => md.split("\n").find((l) => l.startsWith(`| \`${name}\``)) ?? "";
  const age = (ns: number) => {
    const h = ns / 1e9 / 3600;
    return h >= 48 ? `${h / 24} days` : `${h} h`;
  };
  for (const cfg of streamConfigs({ ...topologyDefaults, replicas: 1 })) {
    const r = row(cfg.name!);
    expect(r, `${cfg.name} has a row`).not.toBe("");
    if (cfg.max_age) expect([cfg.name, r.includes(age(cfg.max_age))]).toEqual([cfg.name, true]);
  }
  const c = taskConsumerConfig("h", "docctl.tasks.h", topologyDefaults);
  const r = row("docctl-<handler>");
  expect(r).toContain(`ack wait ${topologyDefaults.ackWaitMs / 1000} s`);
  expect(c.max_deliver).toBe(-1);
  expect(r).toContain("`max_deliver` unlimited");
  expect(r).toContain(`\`max_ack_pending\` ${c.max_ack_pending}`);
});

test("docs/worker.md: the IPC stats shape names every field a proc sends", () => {
  const md = doc("worker.md");
  const section = md.slice(md.indexOf("## Parent ↔ proc messages"), md.indexOf("## Presence and control"));
  // what a loop's stats() carries, and each job in flight (core/runtime/worker/loop-options.ts)
  const stats = ["state", "jobsDone", "jobsFailed", "inFlight"];
  const job = ["id", "handler", "startedAt", "timeoutMs", "reply", "delivery", "attempt", "maxAttempts", "batch", "progress"];
  const loopOptions = readFileSync(join(ROOT, "core/runtime/worker/loop-options.ts"), "utf8");
  const body = loopOptions.slice(loopOptions.indexOf("export interface InFlightJob"), loopOptions.indexOf("}", loopOptions.indexOf("export interface InFlightJob")));
  const declared = [...body.matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1]);
  expect(declared.sort()).toEqual([...job].sort());
  for (const f of [...stats, ...job]) expect([f, new RegExp(`[{\\s,]${f}\\??[,:}]`).test(section)]).toEqual([f, true]);
});
