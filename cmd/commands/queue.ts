// `docctl purge`, `docctl promote`, `docctl reprioritize`: queue operations (dead letters: `docctl dead rm`).
import type { Command } from "../command.ts";
import { natsOptionsFrom } from "../options.ts";
import { oneOf, token } from "../checks.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { PRIORITIES, tokenProblem, type Priority } from "../../core/runtime/protocol/subjects.ts";
import { PURGE_STATES, promoteJob, purgeCount, purgeJobs, reprioritizeJob, type PurgeState } from "../../core/runtime/client/queue-ops.ts";

function oneId(positionals: string[], usage: string): string {
  const id = positionals[0];
  if (!id) throw new InputError(`give a job id (${usage})`);
  const p = tokenProblem(id);
  if (p) throw new InputError(`job id "${id}" ${p}`);
  return id;
}

export const purgeCommand: Command = {
  name: "purge",
  summary: "remove a handler's queued, scheduled or dead jobs (asks for --yes, says how many)",
  help: `Usage: docctl purge HANDLER [--state queued|scheduled|dead] [--yes] [--json]

Removes every job of HANDLER in one state: queued (the default; with the jobs waiting for a retry),
scheduled (delayed jobs, before they run), or dead (its dead letters; the jobs stay failed). Purged
jobs get no result: a submit waiting for one waits in vain. Jobs a worker has started finish.
Without --yes it only says how many jobs it would remove.

Options:
  --state S   ${PURGE_STATES.join(", ")} (default queued)
  --yes       remove them
  --json      {"handler", "state", "count", "purged"}

Exit codes: 0 purged (or counted without --yes), 2 bad usage, 4 NATS unreachable.`,
  options: { state: { type: "string", check: oneOf(...PURGE_STATES) }, yes: { type: "boolean" }, json: { type: "boolean" } },
  positionals: true,
  async run(ctx) {
    const handler = ctx.positionals[0];
    if (!handler || ctx.positionals.length > 1) throw new InputError("give one handler (see docctl purge --help)");
    const p = tokenProblem(handler);
    if (p) throw new InputError(`handler "${handler}" ${p}`);
    const state = ((ctx.values.state as string | undefined) ?? "queued") as PurgeState;
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl purge"));
    try {
      const count = await purgeCount(nc, handler, state);
      if (!ctx.values.yes) {
        if (ctx.values.json) console.log(JSON.stringify({ handler, state, count, purged: 0 }));
        else console.log(`${count} ${state} job(s) of ${handler} would be removed; run again with --yes to remove them`);
        return 0;
      }
      const purged = await purgeJobs(nc, handler, state);
      if (ctx.values.json) console.log(JSON.stringify({ handler, state, count, purged }));
      else console.log(`removed ${purged} ${state} job(s) of ${handler}`);
      return 0;
    } finally {
      await nc.close();
    }
  },
};

export const promoteCommand: Command = {
  name: "promote",
  summary: "run a scheduled (delayed) job now",
  help: `Usage: docctl promote ID

Queues the scheduled job ID now instead of at its run time.

Exit codes: 0 promoted, 1 ID is not scheduled (any more), 2 bad usage, 4 NATS unreachable.`,
  options: {},
  positionals: true,
  async run(ctx) {
    const id = oneId(ctx.positionals, "docctl promote ID");
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl promote"));
    try {
      const r = await promoteJob(nc, id);
      if (r.promoted) console.log(`${id}: queued now`);
      else console.error(`${id}: not scheduled${r.state ? ` (it is ${r.state})` : " (no such delayed job)"}: nothing to promote`);
      return r.promoted ? 0 : 1;
    } finally {
      await nc.close();
    }
  },
};

export const reprioritizeCommand: Command = {
  name: "reprioritize",
  summary: "change the priority of a queued job (high, normal, low)",
  help: `Usage: docctl reprioritize ID high|normal|low

Moves the queued job ID to another priority: a free worker slot takes high before normal before low.
A job already handed to a worker is not moved.

Exit codes: 0 moved, 1 not moved (the reason is said), 2 bad usage, 4 NATS unreachable.`,
  options: {},
  positionals: true,
  async run(ctx) {
    const id = oneId(ctx.positionals, "docctl reprioritize ID high|normal|low");
    const prio = ctx.positionals[1];
    if (!prio || !PRIORITIES.includes(prio as Priority) || ctx.positionals.length > 2) throw new InputError(`give the new priority: ${PRIORITIES.join(", ")} (see docctl reprioritize --help)`);
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl reprioritize"));
    try {
      const r = await reprioritizeJob(nc, id, prio as Priority);
      if (r.moved) console.log(`${id}: now ${prio}`);
      else console.error(`${id}: not moved: ${r.why}`);
      return r.moved ? 0 : 1;
    } finally {
      await nc.close();
    }
  },
};
void token;
