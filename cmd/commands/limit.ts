// `docctl limit set|ls|rm`: fleet-wide concurrency and rate limits per handler.
import type { Command } from "../command.ts";
import { natsOptionsFrom } from "../options.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { formatRate, listLimits, removeLimit, setLimit } from "../../core/runtime/client/limits.ts";
import { parseRate } from "../../core/runtime/worker/limit-policy.ts";
import { knownHandlerNames } from "../../core/runtime/nats/handlers.ts";
import type { LimitV1 } from "../../core/runtime/protocol/jobcontrol.ts";

const show = (l: LimitV1) => `${l.handler}: ${[l.concurrency ? `concurrency ${l.concurrency}` : "", l.rate ? `rate ${formatRate(l.rate)}` : ""].filter(Boolean).join(", ") || "no limit"}`;

export const command: Command = {
  name: "limit",
  summary: "fleet-wide limits per handler: at most N running, at most N started per second, minute or hour",
  help: `Usage: docctl limit set HANDLER [--concurrency N] [--rate N/s|N/m|N/h] [--create]
       docctl limit ls [--json]
       docctl limit rm HANDLER

set   at most N jobs of HANDLER running at once across all workers, and/or at most N started per
      second (N/s), minute (N/m) or hour (N/h), evenly spaced. Workers pick changes up at once, no
      restart. A field not given keeps its value. HANDLER must be one the fleet knows (docctl
      handlers): a limit on a misspelt name would hold nothing; --create sets it anyway (a handler
      whose workers have not run yet).
ls    the limits in force
rm    lift every limit of HANDLER

Options:
  --concurrency N   jobs running at once, fleet-wide (at least 1)
  --rate N/s|N/m|N/h  starts per second, minute or hour, fleet-wide
  --create          set: take a handler no worker or manager has registered yet
  --json            ls: one JSON array of the limits ([] when none)

Exit codes: 0 done, 1 rm of a handler without limits, 2 bad usage, 4 NATS unreachable.`,
  options: { concurrency: { type: "string" }, rate: { type: "string" }, json: { type: "boolean" }, create: { type: "boolean" } },
  positionals: true,
  async run(ctx) {
    const [verb, handler] = ctx.positionals;
    if (verb !== "set" && verb !== "ls" && verb !== "rm") throw new InputError(`expected "set", "ls" or "rm" (got ${verb ? `"${verb}"` : "nothing"}); see docctl limit --help`);
    if ((verb === "set" || verb === "rm") && !handler) throw new InputError(`limit ${verb} needs a handler name`);
    let concurrency: number | undefined;
    let rate: LimitV1["rate"];
    if (verb === "set") {
      const c = ctx.values.concurrency as string | undefined;
      if (c !== undefined) {
        if (!/^\d+$/.test(c)) throw new InputError(`--concurrency must be a whole number of at least 1 (got "${c}")`);
        concurrency = Number(c);
      }
      const r = ctx.values.rate as string | undefined;
      if (r !== undefined) {
        rate = parseRate(r);
        if (!rate) throw new InputError(`--rate "${r}" is not a rate; use N/s, N/m or N/h with N at least 1, like 5/s or 100/m`);
      }
    }
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl limit"));
    try {
      if (verb === "set") {
        if (!ctx.values.create) checkLimitHandler(handler!, await knownHandlerNames(nc));
        console.log(show(await setLimit(nc, handler!, { concurrency, rate })));
      } else if (verb === "ls") {
        const all = await listLimits(nc);
        if (ctx.values.json) console.log(JSON.stringify(all, null, 2));
        else for (const l of all) console.log(show(l));
        if (!ctx.values.json && !all.length) console.error("no limits set");
      } else if (await removeLimit(nc, handler!)) {
        console.log(`${handler}: limits lifted`);
      } else {
        console.error(`${handler} has no limits`);
        return 1;
      }
      return 0;
    } finally {
      await nc.close();
    }
  },
};

/** Refuses a limit on a handler the fleet does not know (pure): it would hold nothing, silently. */
export function checkLimitHandler(handler: string, known: string[]): void {
  if (known.includes(handler)) return;
  throw new InputError(
    `unknown handler "${handler}": no worker or manager has registered it (known: ${known.join(", ") || "none yet"}), so a limit on it would hold nothing. ` +
      `Check the name (docctl handlers), or give --create to set it before its workers first run.`,
  );
}
