// Fleet-wide limits per handler (KV DOCCTL_LIMITS, watched: changes apply without a restart), enforced
// by every worker before it starts a job: a concurrency slot (a KV key only one worker can create)
// and, for a rate, a start time reserved with a compare-and-set on one key.
import { hostname } from "node:os";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { bucketDefaults, limitsBucket, slotsBucket } from "../nats/buckets.ts";
import { parseLimit, type LimitV1 } from "../protocol/jobcontrol.ts";
import type { Logger } from "../protocol/logger.ts";
import { decideRateStart, parseRateState, restampStart } from "./limit-policy.ts";

/** How long a starting worker waits for the limits already set before it pulls jobs anyway, ms. */
export const LIMITS_LOAD_TIMEOUT_MS = 10_000;

/** A held concurrency slot and/or a rate start; release() frees the slot. */
export interface LimitTicket {
  release(): void;
  /**
   * The handler begins now (ms since epoch): a rate start is recorded fleet-wide as this time. Called
   * right before the handler runs, after what comes between the grant and it (the payload check, the
   * job's start notes), which a loaded machine or a slow check can make longer than the rate's margin.
   */
  began(at: number): void;
}

const NONE: LimitTicket = { release() {}, began() {} };

/**
 * Who holds a concurrency slot: the value of its key, so the supervisor of a proc that died can free
 * the proc's slots at once (releaseSlotsOf) instead of leaving them until the bucket's TTL (60 s).
 */
export function slotHolder(pid: number, host = hostname()): string {
  return `${host}:${pid}`;
}

/** Delete every concurrency slot `holder` holds (a proc that died); the keys freed. */
export async function releaseSlotsOf(nc: NatsConnection, holder: string): Promise<string[]> {
  const kv = await slotsBucket(nc);
  const freed: string[] = [];
  for await (const key of await kv.keys("slot.>")) {
    // a slot that cannot be read now is left: it lapses at its TTL if its holder is dead
    const e = await kv.get(key).catch(() => null);
    if (!e || e.operation !== "PUT" || e.string() !== holder) continue;
    // only that revision: a slot taken again meanwhile by another proc stays
    await kv.delete(key, { previousSeq: e.revision }).then(() => freed.push(key), () => {});
  }
  return freed;
}

export class FleetLimits {
  /** this proc, as the value of the slots it holds */
  private holder = slotHolder(process.pid);
  private limits = new Map<string, LimitV1>();
  private kv?: KV;
  private slots?: KV;
  private watchers: { stop(): void }[] = [];
  private loops: Promise<void>[] = [];
  /** wakes jobs waiting for a slot of a handler when a slot is freed */
  private waiters = new Map<string, (() => void)[]>();
  private refresher?: ReturnType<typeof setInterval>;
  private held = new Map<string, { kv: KV; key: string; revision: number }>();

  constructor(private nc: NatsConnection, private log: Logger) {}

  /**
   * Watches the limits and the slots. Resolves once the limits already set are known (or after
   * `loadTimeoutMs`, with a warning): a worker that pulled before would start its first jobs as if
   * the handler had no limit (a backlog at start ran all at once past a concurrency or rate limit).
   */
  async start(loadTimeoutMs = LIMITS_LOAD_TIMEOUT_MS): Promise<void> {
    this.kv = await limitsBucket(this.nc);
    this.slots = await slotsBucket(this.nc);
    // an empty bucket delivers nothing to wait for; otherwise the watch marks its last initial value
    // (and every later one) isUpdate
    const empty = (await this.kv.status()).values === 0;
    let loaded!: () => void;
    const initial = new Promise<void>((r) => (loaded = r));
    if (empty) loaded();
    const lim = await this.kv.watch();
    const sl = await this.slots.watch({ include: "updates" });
    this.watchers.push(lim, sl);
    this.loops.push(
      (async () => {
        for await (const e of lim) {
          if (e.operation !== "PUT") {
            this.limits.delete(e.key);
          } else {
            const parsed = parseLimit(e.string(), e.key);
            if (parsed.ok) this.limits.set(e.key, parsed.value);
            else {
              // a limit that cannot be read holds nothing back: the jobs run as without it
              this.limits.delete(e.key);
              this.log.warn(`${parsed.problem}: ignored`);
            }
          }
          this.wakeAll(); // a raised limit frees waiters
          if (e.isUpdate) loaded();
        }
      })().catch((err) => this.log.debug(`fleet-wide limits: the watch of the limit bucket ended: ${(err as Error).message}`)),
      (async () => {
        for await (const e of sl) if (e.operation !== "PUT") this.wake(e.key.split(".")[1] ?? "");
      })().catch((err) => this.log.debug(`fleet-wide limits: the watch of the slot bucket ended: ${(err as Error).message}`)),
    );
    // a slot lives as long as the bucket's TTL unless refreshed: a worker that died frees its slots
    this.refresher = setInterval(() => {
      for (const h of this.held.values()) void h.kv.put(h.key, this.holder).then((r) => (h.revision = r)).catch((err) => this.log.debug(`fleet-wide limits: slot ${h.key} not refreshed (it lapses at its TTL if this goes on): ${(err as Error).message}`));
    }, Math.floor(bucketDefaults.slotTtlMs / 3));
    // a watch that ended (stop(), a closed connection) has nothing more to deliver either
    void this.loops[0]!.finally(() => loaded());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), loadTimeoutMs)));
    if (await Promise.race([initial.then(() => false), late])) {
      this.log.warn(`fleet-wide limits: the limits already set were not all read within ${loadTimeoutMs}ms; jobs start now and each limit applies once it is read`);
    }
    clearTimeout(timer);
  }

  /** The limit of `handler`, if any. */
  get(handler: string): LimitV1 | undefined {
    return this.limits.get(handler);
  }

  /**
   * Wait until a job of `handler` may start: a free concurrency slot, then its turn under the rate.
   * Rejects with the signal's reason when aborted (cancel, stop).
   */
  async acquire(handler: string, signal: AbortSignal): Promise<LimitTicket> {
    let ticket = NONE;
    if (this.limits.get(handler)?.concurrency) ticket = await this.takeSlot(handler, signal);
    try {
      const rate = this.limits.get(handler)?.rate;
      if (rate) {
        const start = await this.takeRate(handler, rate, signal);
        const slot = ticket;
        ticket = { release: () => slot.release(), began: (actual) => void this.restamp(start.key, start.at, actual) };
      }
    } catch (err) {
      ticket.release();
      throw err;
    }
    return ticket;
  }

  private async takeSlot(handler: string, signal: AbortSignal): Promise<LimitTicket> {
    const kv = this.slots!;
    for (;;) {
      signal.throwIfAborted();
      const n = this.limits.get(handler)?.concurrency;
      if (!n) return NONE; // removed while we waited
      for (let i = 0; i < n; i++) {
        const key = `slot.${handler}.${i}`;
        try {
          const revision = await kv.create(key, this.holder);
          const id = `${key}#${revision}`;
          this.held.set(id, { kv, key, revision });
          return {
            release: () => {
              const h = this.held.get(id);
              this.held.delete(id);
              if (h) void kv.delete(key).catch((err) => this.log.debug(`fleet-wide limits: slot ${key} not released (it lapses at its TTL): ${(err as Error).message}`));
            },
            began() {},
          };
        } catch {
          // the create lost: another worker holds this slot, try the next one
        }
      }
      // every slot taken: wait for one to be freed (watch), or re-check in a while (a slot that expired makes no event)
      await new Promise<void>((resolve) => {
        const list = this.waiters.get(handler) ?? [];
        const done = () => {
          clearTimeout(t);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const t = setTimeout(done, 1000);
        signal.addEventListener("abort", done, { once: true });
        list.push(done);
        this.waiters.set(handler, list);
      });
    }
  }

  // The start is recorded with a compare-and-set only when it may happen now, at an upper bound of when
  // it begins (now + a lead); if the round trip outlasts the lead, the job does not begin and decides
  // again (the recorded start stays: it only makes the limit stricter). A job that begins corrects the
  // record to when its handler did (ticket.began): earlier, or later when the proc was held up between
  // the grant and the handler (corrected at the grant itself, a slow payload check or a loaded machine
  // put a 6th handler start inside 1 s at 5/s). Reserving a future start and sleeping to it (the old
  // way) let timer and round-trip lateness bunch 6 starts into 974-999 ms at 5/s.
  private async takeRate(handler: string, rate: NonNullable<LimitV1["rate"]>, signal: AbortSignal): Promise<{ key: string; at: number }> {
    const kv = this.slots!;
    const key = `rate.${handler}`;
    for (;;) {
      signal.throwIfAborted();
      const e = await kv.get(key);
      const d = decideRateStart(parseRateState(e && e.operation === "PUT" ? e.string() : undefined), Date.now(), rate);
      if ("wait" in d) {
        await abortableSleep(d.wait, signal);
        continue;
      }
      try {
        if (e) await kv.update(key, JSON.stringify(d.state), e.revision);
        else await kv.create(key, JSON.stringify(d.state));
      } catch {
        continue; // another worker took a start in between: read again
      }
      if (Date.now() > d.at) continue; // too late for the time recorded: decide again
      return { key, at: d.at };
    }
  }

  private async restamp(key: string, at: number, actual: number): Promise<void> {
    const kv = this.slots!;
    for (let i = 0; i < 5; i++) {
      try {
        const e = await kv.get(key);
        const s = restampStart(parseRateState(e && e.operation === "PUT" ? e.string() : undefined), at, actual);
        if (!e || !s) return;
        await kv.update(key, JSON.stringify(s), e.revision);
        return;
      } catch {
        // another start was recorded in between: read again
      }
    }
  }

  private wake(handler: string): void {
    for (const w of this.waiters.get(handler)?.splice(0) ?? []) w();
  }

  private wakeAll(): void {
    for (const h of this.waiters.keys()) this.wake(h);
  }

  async stop(): Promise<void> {
    clearInterval(this.refresher);
    for (const w of this.watchers) w.stop();
    await Promise.all(this.loops);
    this.wakeAll();
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
