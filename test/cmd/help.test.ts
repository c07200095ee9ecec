// Every command's --help lists the exit codes it uses: 0, 2 (bad usage, which main returns for every
// command) and, for the one-shot commands that talk to NATS, 4 (NATS unreachable); the daemons say
// that they wait for it.
import { expect, test } from "bun:test";
import { commands } from "../../cmd/commands/index.ts";
import { docctl } from "../helpers/cli.ts";

// commands that never fail with "NATS unreachable": config and completion read no server, up starts one when none
// answers (or waits for one elsewhere); the daemons wait for NATS at start instead of exiting 4
const NO_NATS = new Set(["config", "up", "completion"]);
const WAITS_FOR_NATS = new Set(["worker", "manager", "up"]);

test("every command's help has an Exit codes line with 0 and 2, and 4 when it talks to NATS", () => {
  for (const c of commands) {
    const line = /Exit codes:([\s\S]*?)(\n\n|$)/.exec(c.help)?.[1];
    expect({ command: c.name, hasExitCodes: line !== undefined }).toEqual({ command: c.name, hasExitCodes: true });
    const codes = [...line!.matchAll(/(?:^|[\s,])(\d+) /g)].map((m) => Number(m[1]));
    expect({ command: c.name, codes: codes.filter((n) => n === 0 || n === 2) }).toEqual({ command: c.name, codes: [0, 2] });
    if (WAITS_FOR_NATS.has(c.name)) expect({ command: c.name, waits: /wait(s|ed) for/.test(c.help) }).toEqual({ command: c.name, waits: true });
    else if (!NO_NATS.has(c.name)) expect({ command: c.name, has4: codes.includes(4) }).toEqual({ command: c.name, has4: true });
  }
});

test("docctl result --help lists exit 4", async () => {
  const r = await docctl(["result", "--help"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("Exit codes: 0 ok result, 1 failed result or none yet, 2 bad usage (not one job id), 4 NATS unreachable.");
});
