// `docctl handlers`: the job types the fleet knows, who serves each, and their lag.
import type { Command } from "../command.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { natsOptionsFrom } from "../options.ts";
import { handlerOverview, type HandlerOverview } from "../../core/runtime/client/handlers.ts";

export const command: Command = {
  name: "handlers",
  summary: "the job types the fleet knows, the live workers serving each, and their lag",
  help: `Usage: docctl handlers [--json]

Lists every handler known to the fleet, sorted by name: those recorded in KV bucket DOCCTL_HANDLERS
(workers record what they serve when they start; a manager records the handlers it was told about
with --handlers or --worker-args "--plugins DIR") and those with a consumer docctl-<handler>.
For each: the live workers serving it, jobs waiting and in flight, and its description.
A job for a known handler is accepted even when no worker serves it: it waits, and a manager
scales up for it. \`docctl submit\` refuses a handler not listed here unless --create.

Options:
  --json                one JSON object {handlers: [{name, description, schema, source, registered_by,
                        updated_at, workers, pending, in_flight, lag, consumer, last_active}]}, same order

Exit codes: 0 listed (also when there are none), 2 bad usage, 4 NATS unreachable.

Examples:
  docctl handlers
  docctl handlers --json | jq '.handlers[] | select(.workers == []) | .name'`,
  options: { json: { type: "boolean" } },
  async run(ctx) {
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl handlers"));
    try {
      const handlers = await handlerOverview(nc);
      if (ctx.values.json) console.log(JSON.stringify({ handlers }, null, 2));
      else console.log(renderHandlers(handlers));
      return 0;
    } finally {
      await nc.close();
    }
  },
};

/** The readable table: one row per handler, by name. */
export function renderHandlers(hs: HandlerOverview[]): string {
  if (!hs.length) return "No handlers known yet. Start a worker (docctl worker), or a manager told about them (docctl manager --handlers a,b).";
  const rows = hs.map((h) => [
    h.name,
    h.workers.length ? h.workers.join(",") : "-",
    String(h.pending),
    String(h.in_flight),
    h.description ?? (h.source === "manager" ? "(declared by the manager; described once a worker serves it)" : "-"),
  ]);
  const head = ["HANDLER", "WORKERS", "WAITING", "IN FLIGHT", "DESCRIPTION"];
  const widths = head.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}
