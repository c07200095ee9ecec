// Warnings about how safely the NATS server keeps docctl's jobs: streams without replicas or in
// memory, and servers too old to flush before acknowledging (`sync_interval: always`, 2.10+).
import type { JetStreamManager } from "@nats-io/jetstream";
import { supportsSyncAlways } from "./embedded.ts";

/** What the check needs to know about one stream. */
export interface StreamFacts {
  name: string;
  replicas: number;
  storage: "file" | "memory";
}

export interface DurabilityOptions {
  /** replicas a stream should have (3 on a cluster: one server can fail) */
  minReplicas: number;
}

export const durabilityDefaults: DurabilityOptions = { minReplicas: 3 };

/** docctl's streams and buckets: DOCCTL_* streams, KV_DOCCTL_* and OBJ_DOCCTL_* buckets. */
export const isDocctlStream = (name: string) => /^(KV_|OBJ_)?DOCCTL_/.test(name);

/** The warnings for these facts (pure: no server needed). Each says what is wrong and what to do. */
export function durabilityProblems(streams: StreamFacts[], serverVersion: string, o: DurabilityOptions = durabilityDefaults): string[] {
  const out: string[] = [];
  const version = serverVersion.replace(/^\D*/, "");
  if (!supportsSyncAlways(version)) {
    out.push(
      `nats-server ${version} is older than 2.10: it cannot flush to disk before acknowledging (sync_interval: always), ` +
        `so a power failure can lose jobs it already acknowledged. Upgrade to nats-server 2.10 or newer and set sync_interval: always.`,
    );
  }
  const mine = streams.filter((s) => isDocctlStream(s.name)).sort((a, b) => a.name.localeCompare(b.name));
  const few = mine.filter((s) => s.replicas < o.minReplicas);
  if (few.length) {
    out.push(
      `${few.map((s) => `${s.name} (${s.replicas})`).join(", ")}: fewer than ${o.minReplicas} replicas, so losing one server loses these jobs or results. ` +
        `On a NATS cluster: nats stream edit NAME --replicas ${o.minReplicas} (see docs/deploy.md).`,
    );
  }
  for (const s of mine.filter((x) => x.storage === "memory")) {
    out.push(`${s.name} is kept in memory: a server restart empties it. Recreate it with file storage.`);
  }
  return out;
}

/**
 * The warnings for a live server: reads every docctl stream's config. `serverVersion` is
 * `nc.info?.version`. Call it from `docctl status` and print each line as a warning:
 *
 *   for (const w of await durabilityWarnings(await jetstreamManager(nc), nc.info?.version ?? "")) log.warn(w);
 */
export async function durabilityWarnings(jsm: JetStreamManager, serverVersion: string, o: DurabilityOptions = durabilityDefaults): Promise<string[]> {
  const streams: StreamFacts[] = [];
  for await (const si of jsm.streams.list()) {
    if (!isDocctlStream(si.config.name)) continue;
    streams.push({ name: si.config.name, replicas: si.config.num_replicas ?? 1, storage: String(si.config.storage) === "memory" ? "memory" : "file" });
  }
  return durabilityProblems(streams, serverVersion, o);
}
