// `docctl streams`: every docctl stream and bucket with its replicas, leader and size; `docctl streams
// upgrade`: raise their replicas in place (docs/deploy.md, "A cluster from zero").
import type { Command } from "../command.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { durabilityProblems, expectedReplicas, readStreamFacts, type StreamFacts } from "../../core/runtime/nats/durability.ts";
import { clusterPeers } from "../../core/runtime/nats/replicas.ts";
import { upgradeStreams, type UpgradeEvent } from "../../core/runtime/client/streams.ts";
import { InputError } from "../../core/runtime/protocol/errors.ts";
import { natsOptionsFrom } from "../options.ts";
import { note, yellow } from "../colour.ts";

export const command: Command = {
  name: "streams",
  summary: "docctl's streams and buckets with their replicas and leaders; `upgrade` raises their replicas",
  help: `Usage: docctl streams [--json]
       docctl streams upgrade [--replicas N]

Lists every docctl stream (DOCCTL_*) and bucket (KV_DOCCTL_*, OBJ_DOCCTL_*) on the NATS server or
cluster: replicas, storage, placement, leader, the other replicas (current, behind or offline),
messages and bytes. Warnings follow on stderr: a stream with fewer replicas than the cluster could
give (min(3, servers)), a replica offline or behind, a stream without a leader.

docctl creates new streams and buckets with min(3, servers in the cluster) replicas by itself
(--replicas or DOCCTL_REPLICAS overrides). \`upgrade\` brings streams created before (an install that
began on one server, or an older docctl) to that count in place: the data is kept, each new replica
catches up before the next stream, and a count the cluster cannot hold is refused before anything
changes. Safe to run again; it only changes streams whose count differs.

Options:
  --replicas N          (global) the replicas to upgrade to (default: min(3, servers in the cluster))
  --json                one JSON object {servers, expected_replicas, streams: [{name, kind, replicas,
                        storage, available, leader, peers: [{name, current, offline, lag}], placement,
                        messages, bytes}], warnings}

Exit codes: 0 listed / upgraded, 2 bad usage or a count the cluster cannot hold, 1 a stream could not
be upgraded (no leader, no room), 4 NATS unreachable.

Examples:
  docctl streams
  docctl streams upgrade                # to min(3, servers)
  docctl streams upgrade --replicas 5   # a five-server cluster`,
  options: { json: { type: "boolean" } },
  positionals: true,
  async run(ctx) {
    const [verb, ...rest] = ctx.positionals;
    if (rest.length || (verb !== undefined && verb !== "upgrade")) {
      throw new InputError(`unknown arguments "${ctx.positionals.join(" ")}": use \`docctl streams\` or \`docctl streams upgrade [--replicas N]\``);
    }
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl streams"));
    try {
      const servers = clusterPeers(nc.info);
      if (verb === "upgrade") {
        const after = await upgradeStreams(nc, { replicas: ctx.global.replicas, onEvent: (e) => note(upgradeLine(e)) });
        if (ctx.values.json) console.log(JSON.stringify(report(after, servers, nc.info?.version ?? ""), null, 2));
        else console.log(renderStreams(after));
        return 0;
      }
      const streams = await readStreamFacts(nc);
      const r = report(streams, servers, nc.info?.version ?? "");
      if (ctx.values.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(renderStreams(streams));
        for (const w of r.warnings) note(yellow(`warning: ${w}`));
      }
      return 0;
    } finally {
      await nc.close();
    }
  },
};

function report(streams: StreamFacts[], servers: number, version: string) {
  return { servers, expected_replicas: expectedReplicas(servers), streams, warnings: durabilityProblems(streams, version, servers) };
}

/** 1234567 -> "1.2 MB" */
function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) (n /= 1000), i++;
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

/** One progress line of an upgrade. */
export function upgradeLine(e: UpgradeEvent): string {
  switch (e.kind) {
    case "skip":
      return `${e.stream}: ${e.replicas} replica${e.replicas === 1 ? "" : "s"}, unchanged`;
    case "start":
      return `${e.stream}: ${e.from} -> ${e.to} replicas ...`;
    case "progress":
      return `${e.stream}: ${e.current}/${e.to} replicas current${e.lag ? ` (${e.lag} operations to copy)` : ""}`;
    case "done":
      return `${e.stream}: ${e.to} replicas, all current (${(e.ms / 1000).toFixed(1)}s)`;
  }
}

/** The readable table, one row per stream or bucket. */
export function renderStreams(streams: StreamFacts[]): string {
  if (!streams.length) return "No docctl streams yet: a worker, manager or submit creates them.";
  const head = ["NAME", "KIND", "REPLICAS", "STORAGE", "PLACEMENT", "LEADER", "OTHER REPLICAS", "MESSAGES", "BYTES"];
  const rows = streams.map((s) =>
    s.available
      ? [
          s.name,
          s.kind,
          String(s.replicas),
          s.storage,
          s.placement ?? "-",
          s.leader ?? "-",
          s.peers.length ? s.peers.map((p) => `${p.name}:${p.offline ? "offline" : p.current ? "current" : `behind ${p.lag}`}`).join(" ") : "-",
          String(s.messages),
          formatBytes(s.bytes),
        ]
      : [s.name, s.kind, "?", "?", "?", "NONE (unavailable)", "-", "?", "?"],
  );
  const widths = head.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}
