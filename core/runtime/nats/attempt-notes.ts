// The attempt notes bucket (DOCCTL_ATTEMPTS): written by supervisors when a proc ends with jobs in
// flight, read by worker loops only on redeliveries, so the hot path never touches it.
import { replicasFor } from "./replicas.ts";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { parseNotes, type AttemptEndV1, type AttemptNotesV1 } from "../protocol/attempts.ts";
import { BUCKET_ATTEMPTS } from "../protocol/subjects.ts";
import { isAlreadyExists } from "./errors.ts";

/** How long notes are kept: as long as results. */
export const ATTEMPT_NOTES_TTL_MS = 24 * 3_600_000;

export class AttemptNotes {
  private constructor(private kv: KV) {}

  /** Open the bucket, creating it when `create` (supervisors); undefined when it does not exist (no supervisor ever wrote one). */
  static async open(nc: NatsConnection, opts: { create?: boolean; replicas?: number } = {}): Promise<AttemptNotes | undefined> {
    const kvm = new Kvm(nc);
    try {
      if (opts.create) return new AttemptNotes(await kvm.create(BUCKET_ATTEMPTS, { ttl: ATTEMPT_NOTES_TTL_MS, history: 1, replicas: replicasFor(nc, opts.replicas) }));
      return new AttemptNotes(await kvm.open(BUCKET_ATTEMPTS));
    } catch (err) {
      if (opts.create && isAlreadyExists(err)) return new AttemptNotes(await kvm.open(BUCKET_ATTEMPTS));
      if (!opts.create) return undefined;
      throw err;
    }
  }

  async get(id: string): Promise<AttemptNotesV1 | undefined> {
    const e = await this.kv.get(id);
    return e && e.operation === "PUT" ? parseNotes(e.string()) : undefined;
  }

  /** Append how a delivery ended (compare-and-set, so two supervisors never lose each other's notes). */
  async add(id: string, end: AttemptEndV1): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const e = await this.kv.get(id);
      const cur = e && e.operation === "PUT" ? parseNotes(e.string()) : undefined;
      const next: AttemptNotesV1 = { v: 1, id, ended: [...(cur?.ended ?? []).filter((x) => x.delivery !== end.delivery), end].slice(-20) };
      try {
        if (e && e.operation === "PUT") await this.kv.update(id, JSON.stringify(next), e.revision);
        else await this.kv.create(id, JSON.stringify(next));
        return;
      } catch (err) {
        if (i === 4) throw err;
      }
    }
  }
}
