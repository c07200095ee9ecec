// `docctl schedule add|ls|rm|pause|resume|run`: job files the NATS server fires on a cron expression or an interval.
import { readFileSync } from "node:fs";
import type { Command } from "../command.ts";
import { natsOptionsFrom } from "../options.ts";
import { duration } from "../checks.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { parseDuration } from "../../core/runtime/util/duration.ts";
import { formatDuration } from "../../core/runtime/util/duration.ts";
import { addSchedule, listSchedules, removeSchedule, runScheduleNow, setSchedulePaused, type ScheduleListing } from "../../core/runtime/client/schedules.ts";
import { nextTick } from "../../core/runtime/client/schedule-spec.ts";

const VERBS = ["add", "ls", "rm", "pause", "resume", "run"];

export const command: Command = {
  name: "schedule",
  summary: "run a job file on a cron expression or every N minutes (fired by the NATS server)",
  help: `Usage: docctl schedule add NAME (--cron "EXPR" [--tz ZONE] | --every DUR) FILE
       docctl schedule ls [--json]
       docctl schedule rm|pause|resume|run NAME

add     stores the schedule in the NATS server (message schedules, nats-server 2.14+), which fires it
        with no docctl process running: its jobs wait in their queue until a worker takes them. FILE is
        a job file as for docctl submit (a job, an array, a batch or a chain; no "delay" or "run_at").
        Each tick's jobs get ids "sched-NAME-<tick ms>". Adding NAME again replaces it.
ls      the schedules: timing, next run, and the last tick a worker finished with its result
rm      removes a schedule (jobs already queued still run)
pause   stops firing it until resume (ticks meanwhile are not made up)
resume  fires it again (an --every schedule counts from the resume)
run     queues one tick now, whatever its timing

Missed ticks: ticks that pass while the NATS server is down are fired once, together, when it is back
(not one job per missed tick); ticks pass without a docctl process running, their jobs waiting.

Options:
  --cron EXPR   5 fields "min hour day-of-month month day-of-week" (e.g. "0 2 * * *"), or 6 with seconds first
  --tz ZONE     the cron expression's time zone (IANA, e.g. Europe/Paris; default UTC)
  --every DUR   fire every DUR (at least 1s), counted from when the schedule was added
  --create      accept handlers the fleet does not know yet
  --json        ls: one JSON array of the schedules ([] when none)

Exit codes: 0 done, 1 rm/pause/resume/run of a schedule that does not exist, 2 bad usage or job file,
4 NATS unreachable.`,
  options: { cron: { type: "string" }, tz: { type: "string" }, every: { type: "string", check: duration }, create: { type: "boolean" }, json: { type: "boolean" } },
  positionals: true,
  async run(ctx) {
    const [verb, name, file] = ctx.positionals;
    if (!verb || !VERBS.includes(verb)) throw new InputError(`expected one of ${VERBS.map((v) => `"${v}"`).join(", ")} (got ${verb ? `"${verb}"` : "nothing"}); see docctl schedule --help`);
    if (verb !== "ls" && !name) throw new InputError(`schedule ${verb} needs a NAME`);
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
    const missing = () => {
      console.error(`no schedule named "${name}" (see docctl schedule ls)`);
      return 1;
    };
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
        console.log(`schedule ${s.name}: ${timing(s)}; next run ${next ? new Date(next).toISOString() : "never"} (fired by the NATS server)`);
      } else if (verb === "ls") {
        const all = await listSchedules(nc);
        if (ctx.values.json) console.log(JSON.stringify(all, null, 2));
        else for (const s of all) {
          console.log(line(s));
        }
        if (!ctx.values.json && !all.length) console.error("no schedules");
      } else if (verb === "rm") {
        if (!(await removeSchedule(nc, name!))) return missing();
        console.log(`schedule ${name} removed`);
      } else if (verb === "pause" || verb === "resume") {
        const s = await setSchedulePaused(nc, name!, verb === "pause");
        if (!s) return missing();
        console.log(`schedule ${name} ${verb === "pause" ? "paused: nothing fires until docctl schedule resume" : `resumed; next run ${new Date(nextTick(s, Date.now()) ?? 0).toISOString()}`}`);
      } else {
        const ids = await runScheduleNow(nc, name!);
        if (!ids) return missing();
        console.log(`schedule ${name}: queued ${ids.join(", ")}`);
      }
      return 0;
    } finally {
      await nc.close();
    }
  },
};

function timing(s: Pick<ScheduleListing, "cron" | "tz" | "every_ms">): string {
  return s.cron ? `cron "${s.cron}"${s.tz ? ` (${s.tz})` : ""}` : `every ${formatDuration(s.every_ms!)}`;
}

function line(s: ScheduleListing): string {
  const next = s.paused ? "paused" : `next ${s.next_at ? new Date(s.next_at).toISOString() : "never"}`;
  const last = s.last ? `last run ${new Date(s.last.tick).toISOString()} ${s.last.ok ? "ok" : `failed ${s.last.code ?? ""}`.trim()} (${s.last.id})` : "last run: none finished yet";
  return `${s.name}: ${timing(s)}, ${next}, ${last}`;
}
