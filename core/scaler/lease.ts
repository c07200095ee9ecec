// The manager lease: only the holder of key `leader` in KV bucket DOCCTL_MANAGER scales the fleet.
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { replicasFor } from "../runtime/nats/replicas.ts";
import { hostname } from "node:os";
import { BUCKET_MANAGER } from "../runtime/protocol/subjects.ts";

export const MANAGER_BUCKET = BUCKET_MANAGER;
export const LEADER_KEY = "leader";

/** What the lease key holds. */
export interface LeaseValue {
  id: string;
  host: string;
  pid: number;
  since: string;
  renewed_at: string;
}

/** Lease options. */
export interface LeaseOptions {
  /** this manager's id (unique per process) */
  id: string;
  /** how long the lease lives without renewal (the bucket's TTL), ms */
  ttlMs: number;
  /** bucket name (tests may use their own) */
  bucket?: string;
}

/**
 * A lease over one KV key: taken with `create` (fails if someone holds it) and kept with
 * revision-checked `update` (fails if someone else took it), so two managers can never both
 * believe they lead. The bucket's TTL drops a lease whose holder died without releasing it.
 * Renewal runs on its own timer so a slow provider call cannot let the lease lapse mid-tick.
 */
export class Lease {
  private kv: KV | null = null;
  private revision = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private since = new Date().toISOString();
  private renewing: Promise<boolean> | null = null;
  /** true while this process holds the lease */
  held = false;
  /** the other holder seen last time we failed to take it */
  holder: LeaseValue | null = null;

  constructor(private nc: NatsConnection, private opts: LeaseOptions) {}

  /** Opens (or creates) the bucket and starts renewing every ttl/3. Does not wait for the lease. */
  async start(): Promise<void> {
    const kvm = new Kvm(this.nc);
    const name = this.opts.bucket ?? MANAGER_BUCKET;
    try {
      this.kv = await kvm.create(name, { ttl: this.opts.ttlMs, history: 1, replicas: replicasFor(this.nc) });
    } catch {
      // exists with a different TTL: use it as it is
      this.kv = await kvm.open(name);
    }
    // attempt() answers every failure with false: a rejection here can only be a closed connection at shutdown
    this.timer = setInterval(() => void this.tryAcquire().catch(() => {}), Math.max(50, Math.floor(this.opts.ttlMs / 3)));
  }

  /** Takes the lease if it is free, renews it if we hold it. Resolves to whether we hold it now. */
  tryAcquire(): Promise<boolean> {
    // one attempt at a time: the timer and the manager's tick may both call this
    if (!this.renewing) this.renewing = this.attempt().finally(() => (this.renewing = null));
    return this.renewing;
  }

  private async attempt(): Promise<boolean> {
    const kv = this.kv;
    if (!kv) return false;
    const now = new Date().toISOString();
    const value: LeaseValue = { id: this.opts.id, host: hostname(), pid: process.pid, since: this.since, renewed_at: now };
    const data = JSON.stringify(value);
    if (this.held && this.revision > 0) {
      try {
        this.revision = await kv.update(LEADER_KEY, data, this.revision);
        return true;
      } catch {
        // expired and taken by someone else, or the server lost it: fall through and look
        this.held = false;
        this.revision = 0;
      }
    }
    try {
      const e = await kv.get(LEADER_KEY);
      if (e && e.operation === "PUT" && e.value.length > 0) {
        const other = safeParse(e.string());
        if (other?.id !== this.opts.id) {
          this.holder = other;
          return false;
        }
        this.revision = await kv.update(LEADER_KEY, data, e.revision);
      } else {
        this.since = now;
        this.revision = await kv.create(LEADER_KEY, data);
      }
      this.held = true;
      this.holder = value;
      return true;
    } catch {
      // lost the create/update race to another manager, or NATS away: not the leader this time
      this.held = false;
      this.revision = 0;
      return false;
    }
  }

  /** Writes `value` under `key` in the lease bucket (its TTL applies: a silent manager's entries go away). */
  async put(key: string, value: string): Promise<void> {
    await this.kv?.put(key, value);
  }

  /** Stops renewing and, if we hold the lease, deletes it so a standby takes over at once. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.renewing?.catch(() => {}); // attempt() answers failures with false; waited for, not read
    if (this.held && opts.release !== false && this.kv) {
      try {
        await this.kv.delete(LEADER_KEY, { previousSeq: this.revision });
      } catch {
        // someone else holds it already: nothing to release
      }
    }
    this.held = false;
  }
}

function safeParse(s: string): LeaseValue | null {
  try {
    return JSON.parse(s) as LeaseValue;
  } catch {
    return null; // not JSON: a foreign value, whose holder is unknown
  }
}
