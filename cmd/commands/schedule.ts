// `docctl schedule add|ls|rm`: job files fired on a cron expression or an interval by the managers.
import { readFileSync } from "node:fs";
import type { Command } from "../command.ts";
import { natsOptionsFrom } from "../options.ts";
import { duration } from "../checks.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { parseDuration } from "../../core/runtime/util/duration.ts";
import { formatDuration } from "../../core/runtime/util/duration.ts";
import { addSchedule, listSchedules, removeSchedule } from "../../core/runtime/client/schedules.ts";
import { nextTick } from "../../core/runtime/client/schedule-ticks.ts";

export const command: Command = {
  name: "schedule",
  summary: "run a job file on a cron expression or every N minutes (fired by the manager)",
  help: `Usage: docctl schedule add NAME (--cron "EXPR" [--tz ZONE] | --every DUR) FILE
       docctl schedule ls [--json]
       docctl schedule rm NAME

add   stores a schedule in NATS (KV DOCCTL_SCHEDULES); every running manager (docctl manager, docctl up)
      fires it. FILE is a job file as for docctl submit (a job, an array, a batch or a chain; "delay"
      allowed, "run_at" not). Each tick's jobs get ids "sched-NAME-<tick ms>", so however many
      managers run, a tick runs once. Adding NAME again replaces it.
ls    the schedules and their next tick
rm    removes a schedule (jobs already fired still run)

Missed ticks: a manager fires only a schedule's latest tick, and only within 14 minutes of it; ticks
that passed while no manager ran are skipped (logged), never fired in a burst.

Options:
  --cron EXPR   5 fields "min hour day-of-month month day-of-week" (e.g. "0 2 * * *"), or 6 with seconds first
  --tz ZONE     the cron expression's time zone (IANA, e.g. Europe/Paris; default UTC)
  --every DUR   fire every DUR (at least 1s), counted from when the schedule was added
  --create      accept handlers the fleet does not know yet
  --json        ls: one JSON array of the schedules ([] when none)

Exit codes: 0 done, 1 rm of a schedule that does not exist, 2 bad usage or job file, 4 NATS unreachable.`,
  options: { cron: { type: "string" }, tz: { type: "string" }, every: { type: "string", check: duration }, create: { type: "boolean" }, json: { type: "boolean" } },
  positionals: true,
  async run(ctx) {
    const [verb, name, file] = ctx.positionals;
    if (verb !== "add" && verb !== "ls" && verb !== "rm") throw new InputError(`expected "add", "ls" or "rm" (got ${verb ? `"${verb}"` : "nothing"}); see docctl schedule --help`);
    if ((verb === "add" || verb === "rm") && !name) throw new InputError(`schedule ${verb} needs a NAME`);
    let text = "";
    let every: number | undefined;
    if (verb === "add") {
      if (!file) throw new InputError("schedule add needs a job FILE (see docctl schedule --help)");
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
      }
      if (ctx.values.every !== undefined) every = parseDuration(String(ctx.values.every), "--every");
    }
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl schedule"));
    try {
      if (verb === "add") {
        const s = await addSchedule(nc, {
          name: name!,
          cron: ctx.values.cron as string | undefined,
          tz: ctx.values.tz as string | undefined,
          every_ms: every,
          text,
          source: file!,
          create: Boolean(ctx.values.create),
        });
        const next = nextTick(s, Date.now());
        console.log(`schedule ${s.name}: ${s.cron ? `cron "${s.cron}"${s.tz ? ` (${s.tz})` : ""}` : `every ${formatDuration(s.every_ms!)}`}; next tick ${next ? new Date(next).toISOString() : "never"}`);
      } else if (verb === "ls") {
        const all = await listSchedules(nc);
        if (ctx.values.json) console.log(JSON.stringify(all, null, 2));
        else for (const s of all) {
          console.log(`${s.name}: ${s.cron ? `cron "${s.cron}"${s.tz ? ` ${s.tz}` : ""}` : `every ${formatDuration(s.every_ms!)}`}, next ${s.next_at ? new Date(s.next_at).toISOString() : "never"}`);
        }
        if (!ctx.values.json && !all.length) console.error("no schedules");
      } else if (await removeSchedule(nc, name!)) {
        console.log(`schedule ${name} removed`);
      } else {
        console.error(`no schedule named "${name}" (see docctl schedule ls)`);
        return 1;
      }
      return 0;
    } finally {
      await nc.close();
    }
  },
};
