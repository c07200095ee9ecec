// The job-control KV buckets (cancel markers, limits, limit slots, schedules), created on first use.
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { BUCKET_CANCEL, BUCKET_LIMITS, BUCKET_LIMIT_SLOTS, BUCKET_SCHEDULES } from "../protocol/subjects.ts";
import { isAlreadyExists } from "./errors.ts";
import { replicasFor } from "./replicas.ts";

/** Bucket settings, part of the wire contract (docs/protocol.md). */
export const bucketDefaults = {
  /** a cancel marker outlives any job it could still stop: queued jobs older than this are not stopped */
  cancelTtlMs: 7 * 24 * 3_600_000,
  /** a concurrency slot of a worker that died frees itself after this (holders refresh it every third) */
  slotTtlMs: 60_000,
};

/** Open bucket `name`, creating it when missing (with min(3, cluster servers) replicas unless told). */
export async function openBucket(nc: NatsConnection, name: string, opts: { ttlMs?: number; replicas?: number } = {}): Promise<KV> {
  const kvm = new Kvm(nc);
  // open() only binds (it does not check the bucket exists); create() is idempotent for the same settings
  try {
    return await kvm.create(name, { history: 1, ttl: opts.ttlMs, replicas: replicasFor(nc, opts.replicas) });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    // created with other settings (replicas on a cluster, say): use it as it is
    return await kvm.open(name);
  }
}

export const cancelBucket = (nc: NatsConnection) => openBucket(nc, BUCKET_CANCEL, { ttlMs: bucketDefaults.cancelTtlMs });
export const limitsBucket = (nc: NatsConnection) => openBucket(nc, BUCKET_LIMITS);
export const slotsBucket = (nc: NatsConnection) => openBucket(nc, BUCKET_LIMIT_SLOTS, { ttlMs: bucketDefaults.slotTtlMs });
export const schedulesBucket = (nc: NatsConnection) => openBucket(nc, BUCKET_SCHEDULES);
