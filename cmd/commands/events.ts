// `docctl events`: follow job events across the fleet as they happen.
import type { Command } from "../command.ts";
import { natsOptionsFrom } from "../options.ts";
import { token } from "../checks.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { DEFAULT_EVENT_KINDS, EVENT_KINDS, followEvents, type EventKind, type JobEvent } from "../../core/runtime/client/events.ts";
import { formatDuration } from "../../core/runtime/util/duration.ts";

/** One event for people. */
export function formatEvent(e: JobEvent): string {
  const t = new Date(e.at).toISOString().slice(11, 23);
  const head = `${t} ${e.kind.padEnd(9)} ${e.id} [${e.handler}]`;
  const parts: string[] = [];
  if (e.kind === "progress") parts.push(e.fraction !== undefined ? `${Math.round(e.fraction * 100)}%` : e.done !== undefined ? `${e.done}/${e.total ?? "?"}` : "", e.message ?? "");
  if (e.attempt !== undefined) parts.push(`attempt ${e.attempt}${e.max_attempts ? `/${e.max_attempts}` : ""}`);
  if (e.error) parts.push(`${e.error.code}: ${e.error.message.length > 100 ? e.error.message.slice(0, 97) + "..." : e.error.message}`);
  if (e.next_at) parts.push(`next attempt in ${formatDuration(Math.max(0, e.next_at - Date.now()))}`);
  if (e.run_at) parts.push(`due ${new Date(e.run_at).toISOString()}`);
  if (e.worker) parts.push(`on ${e.worker}`);
  const rest = parts.filter(Boolean).join("; ");
  return rest ? `${head} ${rest}` : head;
}

export const eventsCommand: Command = {
  name: "events",
  summary: "follow job events across the fleet: completed, failed, retrying, cancelled, dead, progress",
  help: `Usage: docctl events [--handler H] [--kind K,...] [--json]

Prints job events of every worker as they happen, until Ctrl-C. Events are the job index's state
changes and the handlers' progress reports (docs/protocol.md, "Events"): what happened while this
command was not running is not replayed (use docctl jobs --since).

Options:
  --handler H   only this job type
  --kind K,...  only these kinds: ${EVENT_KINDS.join(", ")}
                (default: ${DEFAULT_EVENT_KINDS.join(", ")})
  --json        one JSON object per line

Exit codes: 0 stopped (Ctrl-C), 2 bad usage, 4 NATS unreachable.`,
  options: { handler: { type: "string", check: token }, kind: { type: "string" }, json: { type: "boolean" } },
  async run(ctx) {
    const kinds = ctx.values.kind ? (String(ctx.values.kind).split(",").map((k) => k.trim()).filter(Boolean) as EventKind[]) : undefined;
    for (const k of kinds ?? []) if (!EVENT_KINDS.includes(k)) throw new InputError(`--kind "${k}" is not an event kind; use ${EVENT_KINDS.join(", ")}`);
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl events"));
    const feed = followEvents(nc, { handler: ctx.values.handler as string | undefined, kinds });
    const stop = () => feed.stop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    await nc.flush();
    console.error(`following ${kinds?.join(", ") ?? DEFAULT_EVENT_KINDS.join(", ")} events${ctx.values.handler ? ` of ${ctx.values.handler}` : ""} (Ctrl-C to stop)`);
    try {
      for await (const e of feed) console.log(ctx.values.json ? JSON.stringify(e) : formatEvent(e));
      return 0;
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      await nc.close();
    }
  },
};
