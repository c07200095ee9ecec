// Pieces of the manager's tick that need none of its state: the operator's diagnosis when servers never
// come up, the servers to remove, and the one-line account of a tick.
import type { NatsConnection } from "@nats-io/transport-node";
import { workerStatus } from "../runtime/client/fleet.ts";
import type { LagReading } from "../runtime/client/lag.ts";
import { redactUrl } from "../runtime/util/log.ts";
import type { ServerState } from "./readiness.ts";
import type { Decision } from "./policy.ts";
import type { Server } from "./providers/types.ts";

/** What to tell the operator when servers keep failing to come up: what the manager saw, and what to check. */
export function bootFailureDiagnosis(
  n: number,
  o: { natsUrl?: string; lastExit?: string; hints: string[]; bootTimeoutMs: number; probeMs: number },
): string {
  const url = redactUrl(o.natsUrl ?? "(the --worker-nats URL)");
  return (
    `STOPPED CREATING SERVERS: ${n} server(s) in a row never had a worker register within --boot-timeout ` +
    `${Math.round(o.bootTimeoutMs / 1000)}s${o.lastExit ? ` (last: ${o.lastExit})` : ""}. Check: ` +
    [
      ...o.hints,
      `the workers can reach NATS at ${url} (address, port, firewall)`,
      `the NATS credentials the workers use are accepted (nats-server logs "authorization violation" otherwise)`,
    ].join("; ") +
    `. One server is tried every ${Math.round(o.probeMs / 60_000)}m; restart the manager once fixed to try at once.`
  );
}

/**
 * The servers to remove: booting ones first (they hold no work yet), then running ones with the fewest
 * jobs in flight, asked over the control subject, so a server with a job in flight is never picked
 * while an idle one is there. While there is lag (`busyProtected`) a server with jobs in flight, or
 * one that does not answer, is not picked at all: fewer than `n` may come back.
 */
export async function pickVictims(nc: NatsConnection, live: { s: Server; state: ServerState }[], n: number, statusTimeoutMs: number, busyProtected = false): Promise<Server[]> {
  const scored = await Promise.all(
    live.map(async ({ s, state }) => {
      if (state === "booting") return { s, load: -1 };
      // no status (a closed connection): treated as no answer, i.e. unknown load
      const st = await workerStatus(nc, s.workerId, statusTimeoutMs).catch(() => null);
      return { s, load: st ? st.in_flight : busyProtected ? Infinity : 0 };
    }),
  );
  const ok = scored.filter((x) => !busyProtected || x.load <= 0);
  ok.sort((a, b) => a.load - b.load || b.s.createdAt - a.s.createdAt);
  return ok.slice(0, n).map((x) => x.s);
}

/** The tick's account: lag (per handler), servers by state, and the decision. */
export function tickLine(lag: LagReading, s: { ready: number; booting: number; draining: number }, d: Decision): string {
  const perHandler = lag.handlers.length ? ` (${lag.handlers.map((h) => `${h.handler}:${h.lag}`).join(" ")})` : "";
  return `lag ${lag.total}${lag.streamExists ? "" : " (no tasks stream yet)"}${perHandler}; servers ${s.ready} ready, ${s.booting} booting, ${s.draining} draining → ${d.desired}: ${d.reason}`;
}

/**
 * A dry run repeats the same wish every tick: it is news (said at info) only when the reason changed,
 * numbers aside ("no lag for 3s" then "no lag for 4s" is the same news), or servers are changed.
 */
export function decisionGist(d: Decision): string {
  return d.reason.replace(/\d+(\.\d+)?/g, "#");
}
