// `docctl pause|resume|drain WORKER|--all`: steer running workers over docctl.control.<id>.<verb>.
import type { Command, CommandContext } from "../command.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { ConfigError } from "../../core/runtime/protocol/errors.ts";
import { durOpt, natsOptionsFrom } from "../options.ts";
import { duration } from "../checks.ts";
import type { ControlVerb } from "../../core/runtime/protocol/control.ts";
import { controlWorkers, NoSuchWorkerError } from "../../core/runtime/client/fleet.ts";
import { setHandlerPaused } from "../../core/runtime/client/handler-pause.ts";

const WHAT: Record<Exclude<ControlVerb, "status">, { summary: string; done: string; more: string }> = {
  pause: {
    summary: "stop a worker (or a handler, fleet-wide) taking jobs; in-flight jobs finish",
    done: "paused",
    more:
      "Its procs finish the jobs they run and take no more until `docctl resume`: when the command returns\n" +
      "nothing more is delivered to them, and jobs they had fetched ahead are handed back (nak), not run.\n" +
      "--handler H pauses handler H on the NATS server itself (consumer pause): no worker anywhere gets\n" +
      "its jobs until `docctl resume --handler H`, whatever starts or restarts meanwhile.",
  },
  resume: {
    summary: "let a paused worker (or handler) take jobs again, and restart its FATAL procs",
    done: "resumed",
    more: "Paused procs pull again; procs marked FATAL (they kept dying at start) get a fresh start.\n--handler H resumes a handler paused with pause --handler.",
  },
  drain: {
    summary: "make a worker finish its jobs and exit",
    done: "draining",
    more: "The worker stops pulling, finishes its in-flight jobs, removes its presence entry and exits\n(SIGKILL of what is left after its --drain-timeout; JetStream redelivers those jobs).",
  },
};

function make(verb: Exclude<ControlVerb, "status">): Command {
  const w = WHAT[verb];
  return {
    name: verb,
    summary: w.summary,
    help: `Usage: docctl ${verb} WORKER... | --all${verb === "drain" ? "" : " | --handler H"}

${w.more}
WORKER is a worker id as \`docctl status\` lists it (host-pid, or the worker's --name).

Options:
  --all                 every live worker (request on docctl.control.all.${verb})${verb === "drain" ? "" : `
  --handler H           the job type H, fleet-wide, on the server (repeatable)`}
  --timeout DUR         how long to wait for answers (default 3s)

Exit codes: 0 every worker answered, 1 a named worker did not answer or refused, 2 bad usage,
4 NATS unreachable.

Examples:
  docctl ${verb} web-1-4711
  docctl ${verb} --all`,
    options: { all: { type: "boolean" }, timeout: { type: "string", check: duration }, ...(verb === "drain" ? {} : { handler: { type: "string", multiple: true } }) },
    positionals: true,
    run: (ctx) => runControl(verb, ctx),
  };
}

async function runControl(verb: Exclude<ControlVerb, "status">, ctx: CommandContext): Promise<number> {
  const all = ctx.values.all === true;
  const handlers = (ctx.values.handler as string[] | undefined) ?? [];
  if (handlers.length && (all || ctx.positionals.length)) throw new ConfigError(`give --handler, or worker ids or --all, not both`, "handler");
  if (handlers.length && verb !== "drain") {
    const nc = await connectNats(natsOptionsFrom(ctx.global, `docctl ${verb}`));
    try {
      for (const h of handlers) {
        await setHandlerPaused(nc, h, verb === "pause");
        console.log(`handler ${h}: ${WHAT[verb].done} fleet-wide (on the NATS server${verb === "pause" ? "; docctl resume --handler " + h + " to undo" : ""})`);
      }
    } finally {
      await nc.close();
    }
    return 0;
  }
  if (all && ctx.positionals.length) throw new ConfigError(`give worker ids or --all, not both`, "all");
  if (!all && !ctx.positionals.length) throw new ConfigError(`name the worker to ${verb} (see \`docctl status\`), or use --all`, "worker");
  const t = durOpt(ctx, "timeout", 3000);
  const nc = await connectNats(natsOptionsFrom(ctx.global, `docctl ${verb}`));
  let code = 0;
  try {
    for (const id of all ? ["all"] : ctx.positionals) {
      try {
        const replies = await controlWorkers(nc, id, verb, t);
        if (all && !replies.length) console.error(`docctl ${verb}: no live worker answered on docctl.control.all.${verb}`);
        for (const r of replies) {
          if (r.ok) console.log(`${r.worker.id}: ${WHAT[verb].done} (${r.worker.procs.length} procs, ${r.worker.in_flight} jobs in flight)`);
          else {
            console.error(`${r.id}: ${r.error.message}`);
            code = 1;
          }
        }
      } catch (err) {
        if (!(err instanceof NoSuchWorkerError)) throw err;
        console.error(`docctl ${verb}: ${err.message}`);
        code = 1;
      }
    }
  } finally {
    await nc.close();
  }
  return code;
}

export const pauseCommand = make("pause");
export const resumeCommand = make("resume");
export const drainCommand = make("drain");
/** all three, for the command table */
export const commands: Command[] = [pauseCommand, resumeCommand, drainCommand];
