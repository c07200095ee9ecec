// `docctl result ID`: the stored result of one job.
import { jetstream } from "@nats-io/jetstream";
import type { Command } from "../command.ts";
import { strOpt, natsOptionsFrom } from "../options.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { readResult, saveOutput } from "../../core/runtime/client/submit.ts";
import { tokenProblem } from "../../core/runtime/protocol/subjects.ts";
import { formatResult, resultJson } from "./submit.ts";

export const command: Command = {
  name: "result",
  summary: "show the stored result of a job by id",
  help: `Usage: docctl result ID [--json] [--out DIR]

Prints the result of job ID if one is stored (results are kept 24h by default).
Exit codes: 0 ok result, 1 failed result or none yet, 2 bad usage (not one job id), 4 NATS unreachable.

Options:
  --json      the result as one JSON line
  --out DIR   write its document into DIR`,
  options: { json: { type: "boolean" }, out: { type: "string" } },
  positionals: true,
  async run(ctx) {
    const id = ctx.positionals[0];
    if (!id || ctx.positionals.length > 1) throw new InputError("give one job id (see docctl result --help)");
    const p = tokenProblem(id);
    if (p) throw new InputError(`job id "${id}" ${p}`);
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl result"));
    try {
      const r = await readResult(jetstream(nc), id);
      if (!r) {
        console.error(`no result for job "${id}" yet (still queued or running, never submitted, or expired)`);
        return 1;
      }
      const dir = strOpt(ctx, "out");
      const shown = dir && r.ok && r.output ? { ...r, saved_to: await saveOutput(nc, r, dir) } : r;
      console.log(ctx.values.json ? resultJson(shown) : formatResult(shown));
      return r.ok ? 0 : 1;
    } finally {
      await nc.close();
    }
  },
};
