// `docctl update ID --data JSON | --data-file F`: replace the payload of a job that has not started
// (BullMQ's job.updateData).
import { readFileSync } from "node:fs";
import type { Command } from "../command.ts";
import { natsOptionsFrom } from "../options.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { tokenProblem } from "../../core/runtime/protocol/subjects.ts";
import { jsonSyntaxError } from "../../core/runtime/client/jobfile.ts";
import { updateJobData } from "../../core/runtime/client/update-data.ts";

/** The new payload from `--data` text or a `--data-file`, with the place of a JSON error. */
export function parseData(text: string, where: string): unknown {
  const at = jsonSyntaxError(text);
  if (at) throw new InputError(`${where}:${at.line}:${at.col}: ${at.message} (the payload must be JSON)`);
  return JSON.parse(text);
}

export const updateCommand: Command = {
  name: "update",
  summary: "replace the payload of a job that has not started (scheduled, queued, waiting for a retry)",
  help: `Usage: docctl update ID --data JSON
       docctl update ID --data-file FILE

Replaces the payload of job ID while it waits: scheduled (its due time is kept), queued (it goes to
the back of its priority's queue), or waiting for a retry (its next attempt time and the attempts it
has left are kept). Its id, batch, priority and the rest stay. The job runs once, with the old or the
new payload: once a worker has it, it is too late and this says so.

Options:
  --data JSON       the new payload, as JSON text
  --data-file FILE  the new payload, from a JSON file ("-": stdin)
  --json            {"updated", "id", "state", "why"?}

Exit codes: 0 updated, 1 too late (the job is running or finished; the reason is said), 2 bad usage
(also: no such job, bad JSON), 4 NATS unreachable.`,
  options: { data: { type: "string" }, "data-file": { type: "string" }, json: { type: "boolean" } },
  positionals: true,
  async run(ctx) {
    const id = ctx.positionals[0];
    if (!id || ctx.positionals.length > 1) throw new InputError("give one job id (see docctl update --help)");
    const p = tokenProblem(id);
    if (p) throw new InputError(`job id "${id}" ${p}`);
    const text = ctx.values.data as string | undefined;
    const file = ctx.values["data-file"] as string | undefined;
    if ((text === undefined) === (file === undefined)) throw new InputError("give the new payload with --data JSON or --data-file FILE (one of them)");
    let payload: unknown;
    if (text !== undefined) payload = parseData(text, "--data");
    else {
      let body: string;
      try {
        body = readFileSync(file === "-" ? 0 : file!, "utf8");
      } catch (err) {
        throw new InputError(`--data-file ${file}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      payload = parseData(body, file!);
    }
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl update"));
    try {
      const r = await updateJobData(nc, id, payload);
      if (ctx.values.json) console.log(JSON.stringify(r));
      else if (r.updated) console.log(`${id}: payload replaced; it is ${r.state} and will run with the new payload`);
      else console.error(`${r.why} (it runs, or ran, with the payload it had)`);
      return r.updated ? 0 : 1;
    } finally {
      await nc.close();
    }
  },
};
