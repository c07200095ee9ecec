// The oldest nats-server docctl runs on, and the check every docctl process makes when it connects.
// docctl relies on server features of 2.14 (docs/protocol.md, "Server features"): message schedules
// with @every and cron time zones, consumer pause, atomic batch publish, per-message TTL.
import type { NatsConnection } from "@nats-io/transport-node";
import { ServerVersionError } from "../protocol/errors.ts";

/** The oldest nats-server docctl accepts. */
export const MIN_NATS_SERVER = "2.14.0";

/** How to get a new enough server, for messages. */
export const UPGRADE_HINT =
  "upgrade nats-server to 2.14 or newer: on Debian/Ubuntu run scripts/deps.sh from the docctl sources (it takes Debian testing's binary), " +
  "or download a release from https://github.com/nats-io/nats-server/releases";

/** `v2.10.27-beta` → [2, 10, 27]; undefined when there is no version in it. */
export function versionParts(v: string | undefined): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(v ?? "");
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** Why a server of version `found` is not usable (pure), or undefined when it is new enough. */
export function serverVersionProblem(found: string | undefined, min = MIN_NATS_SERVER): string | undefined {
  const have = versionParts(found);
  const need = versionParts(min)!;
  if (have) {
    for (let i = 0; i < 3; i++) {
      if (have[i]! > need[i]!) return undefined;
      if (have[i]! < need[i]!) break;
      if (i === 2) return undefined;
    }
  }
  return `nats-server ${found ?? "(of unknown version)"} is too old: docctl needs nats-server ${min.replace(/\.0$/, "")} or newer ` +
    `(message schedules, consumer pause, atomic batch publish). ${UPGRADE_HINT[0]!.toUpperCase()}${UPGRADE_HINT.slice(1)}.`;
}

/** Throws ServerVersionError when the server `nc` is connected to is older than the floor. */
export function assertServerVersion(nc: NatsConnection, where?: string): void {
  const found = nc.info?.version;
  const problem = serverVersionProblem(found);
  if (problem) throw new ServerVersionError(where ? `${where}: ${problem}` : problem, found ?? "", MIN_NATS_SERVER);
}
