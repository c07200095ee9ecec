// Workers that stopped answering, kept on the console. A worker rewrites its presence entry every few
// seconds and the bucket's TTL drops an entry that is not rewritten (15 s): a worker that hangs (SIGSTOP,
// a host frozen by swap) turns stale at 12 s and then simply vanished from the page 3 s later, as if
// it had stopped cleanly. A clean stop deletes its entry, which leaves a delete marker; an expiry
// leaves nothing. So the console remembers the workers it listed, and one missing with no marker is
// shown as stale ("presence expired") until it comes back or for `keepMs`. The decisions are pure;
// `StaleWorkers` is the thin adapter that looks for the marker.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { BUCKET_WORKERS } from "../protocol/subjects.ts";
import { isNoMessage, isNotFound } from "../nats/errors.ts";

/** One remembered worker: its last listed row and when this console last listed it. */
export interface Sighting<T> {
  row: T;
  listedAt: number;
  /** set once its entry is known to have expired (not deleted) */
  expiredAt?: number;
}

export interface StalePolicy {
  /** the presence bucket's TTL, ms: a delete marker is kept this long */
  ttlMs: number;
  /** how long an expired worker stays on the page, ms */
  keepMs: number;
}

export const stalePolicyDefaults: StalePolicy = { ttlMs: 15_000, keepMs: 10 * 60_000 };

/**
 * A worker listed before and missing now. `deleted`: its key's last message is a delete marker (a
 * clean stop). Expired only when this console listed it within the TTL: else a clean stop's marker may
 * have expired before anyone looked, and the console cannot tell, so it forgets the worker.
 */
export function missingWorkerVerdict(s: Pick<Sighting<unknown>, "listedAt" | "expiredAt">, deleted: boolean, now: number, p: StalePolicy = stalePolicyDefaults): "expired" | "forget" {
  if (s.expiredAt !== undefined) return now - s.expiredAt > p.keepMs ? "forget" : "expired";
  if (deleted) return "forget";
  return now - s.listedAt <= p.ttlMs ? "expired" : "forget";
}

/** The adapter: remembers listed workers, and answers the expired ones to show beside them. */
export class StaleWorkers<T extends { id: string }> {
  #seen = new Map<string, Sighting<T>>();
  #nc: () => NatsConnection | undefined;
  #p: StalePolicy;

  constructor(nc: () => NatsConnection | undefined, p: StalePolicy = stalePolicyDefaults) {
    this.#nc = nc;
    this.#p = p;
  }

  /** Note this listing; resolves with the rows (their last known state) of workers whose entry expired. */
  async expired(listed: T[], now = Date.now()): Promise<(T & { expired_at: number })[]> {
    for (const row of listed) this.#seen.set(row.id, { row, listedAt: now });
    const here = new Set(listed.map((r) => r.id));
    const out: (T & { expired_at: number })[] = [];
    for (const [id, s] of this.#seen) {
      if (here.has(id)) continue;
      const deleted = s.expiredAt === undefined ? await this.#deleted(id) : false;
      if (deleted === undefined) continue; // cannot tell now: ask again at the next listing
      if (missingWorkerVerdict(s, deleted, now, this.#p) === "forget") {
        this.#seen.delete(id);
        continue;
      }
      s.expiredAt ??= now;
      out.push({ ...s.row, expired_at: s.expiredAt });
    }
    return out;
  }

  // true: a delete marker (a clean stop); false: no message at all (expired); undefined: NATS did not say
  async #deleted(id: string): Promise<boolean | undefined> {
    const nc = this.#nc();
    if (!nc) return undefined;
    try {
      const jsm = await jetstreamManager(nc);
      const m = await jsm.streams.getMessage(`KV_${BUCKET_WORKERS}`, { last_by_subj: `$KV.${BUCKET_WORKERS}.${id}` });
      if (!m) return false;
      const op = m.header?.get("KV-Operation");
      // a value: it is back (written after the listing), and the next listing shows it
      return op === "DEL" || op === "PURGE" ? true : undefined;
    } catch (err) {
      if (isNoMessage(err)) return false;
      if (isNotFound(err)) return true; // the bucket is gone: nothing to show
      return undefined;
    }
  }
}
