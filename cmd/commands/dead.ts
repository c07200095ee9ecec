// `docctl dead ls|retry`: jobs that failed for good.
import type { Command } from "../command.ts";
import { natsOptionsFrom } from "../options.ts";
import { token } from "../checks.ts";
import { note, yellow } from "../colour.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { listDead, retryDead } from "../../core/runtime/client/dead.ts";
import { removeDead } from "../../core/runtime/client/queue-ops.ts";

export const command: Command = {
  name: "dead",
  summary: "list dead letters (jobs that failed for good) or put them back on the queue",
  help: `Usage: docctl dead ls [--json] [--handler NAME]
       docctl dead retry ID|--all
       docctl dead rm ID|--all [--handler NAME]

ls      lists dead letters, oldest first: job id, handler, error code and message, attempts, when
retry   publishes the job again with its attempts starting over, and removes its dead letter
rm      removes dead letters (the jobs stay failed while their results are kept)

Options:
  --json          one JSON array of the dead letters ([] when none)
  --handler NAME  only this job type (ls)
  --all           retry (or remove) every dead letter (rm --all --handler NAME: of one job type)

Exit codes: 0 listed or retried, 1 unexpected error, 2 bad usage, 4 NATS unreachable.`,
  options: { json: { type: "boolean" }, all: { type: "boolean" }, handler: { type: "string", check: token } },
  positionals: true,
  async run(ctx) {
    const [verb, id] = ctx.positionals;
    if (verb !== "ls" && verb !== "retry" && verb !== "rm") throw new InputError(`expected "ls", "retry" or "rm" (got ${verb ? `"${verb}"` : "nothing"}); see docctl dead --help`);
    if ((verb === "retry" || verb === "rm") && !id && !ctx.values.all) throw new InputError(`${verb} needs a job id or --all`);
    if ((verb === "retry" || verb === "rm") && id && ctx.values.all) throw new InputError(`${verb}: give a job id or --all, not both`);
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl dead"));
    try {
      if (verb === "ls") {
        const entries = await listDead(nc, ctx.values.handler as string | undefined);
        if (ctx.values.json) {
          console.log(JSON.stringify(entries.map(({ seq, dead }) => ({ seq, ...dead, raw: dead.raw ? Buffer.from(dead.raw).toString("base64") : undefined })), null, 2));
        } else {
          for (const { seq, dead } of entries) {
            const who = dead.job ? `${dead.job.id} [${dead.job.handler}]` : `(undecodable, seq ${seq}) [${dead.subject}]`;
            console.log(`${who} ${dead.error.code}: ${dead.error.message} (attempts ${dead.attempts}, ${new Date(dead.failed_at).toISOString()})`);
            if (dead.stack) console.log(dead.stack.replace(/^/gm, "    "));
          }
        }
        if (!ctx.values.json) note(`${entries.length} dead letter(s)`);
        return 0;
      }
      if (verb === "rm") {
        const removed = await removeDead(nc, { id, all: Boolean(ctx.values.all), handler: ctx.values.handler as string | undefined });
        if (ctx.values.json) console.log(JSON.stringify({ removed }));
        else console.log(`removed ${removed.length} dead letter(s)${removed.length && removed.length <= 20 ? `: ${removed.join(", ")}` : ""}`);
        return 0;
      }
      const { retried, skipped } = await retryDead(nc, { id, all: Boolean(ctx.values.all) });
      for (const r of retried) console.log(`re-queued ${r}`);
      for (const s of skipped) note(yellow(`skipped ${s}`));
      return 0;
    } finally {
      await nc.close();
    }
  },
};
