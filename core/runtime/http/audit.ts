// The audit list of dashboard actions: each action (who, what, on what, whether it worked) is kept in
// stream DOCCTL_AUDIT (30 days) so every worker's and manager's page shows the same list, across
// restarts, and written to the process's log.
import { DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { nanos } from "@nats-io/transport-node";
import { isAlreadyExists, isNotFound } from "../nats/errors.ts";
import { ALL_AUDIT, STREAM_AUDIT, auditSubject } from "../protocol/subjects.ts";

export { STREAM_AUDIT };

/** One action, as kept in DOCCTL_AUDIT on `docctl.audit.<server>`. */
export interface AuditEntryV1 {
  v: 1;
  at: number;
  /** the token's name, "token", or "loopback" */
  who: string;
  /** e.g. handler.pause, worker.drain, job.cancel, dead.retry, handler.purge */
  action: string;
  target: string;
  ok: boolean;
  /** what it did, or why it failed */
  detail: string;
  /** the worker or manager whose page it was done from */
  server: string;
}

export class AuditLog {
  #ensured = false;
  constructor(private readonly nc: () => NatsConnection | undefined, private readonly server: string, private readonly log?: (line: string) => void) {}

  async add(e: Omit<AuditEntryV1, "v" | "at" | "server">): Promise<void> {
    const entry: AuditEntryV1 = { v: 1, at: Date.now(), server: this.server, ...e };
    this.log?.(`dashboard action by ${entry.who}: ${entry.action} ${entry.target}: ${entry.ok ? "ok" : "failed"}: ${entry.detail}`);
    const nc = this.nc();
    if (!nc) return;
    if (!this.#ensured) {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.info(STREAM_AUDIT).catch(async (err) => {
        if (!isNotFound(err)) throw err;
        await jsm.streams
          .add({ name: STREAM_AUDIT, subjects: [ALL_AUDIT], retention: RetentionPolicy.Limits, storage: StorageType.File, discard: DiscardPolicy.Old, max_age: nanos(30 * 24 * 3_600_000), max_msgs: 100_000 })
          .catch((e2) => {
            if (!isAlreadyExists(e2)) throw e2;
          });
      });
      this.#ensured = true;
    }
    await jetstream(nc).publish(auditSubject(this.server.replace(/[^A-Za-z0-9_-]/g, "_")), JSON.stringify(entry));
  }

  /** The newest `n` entries, newest first. */
  async recent(n = 100): Promise<AuditEntryV1[]> {
    const nc = this.nc();
    if (!nc) return [];
    const jsm = await jetstreamManager(nc);
    let state;
    try {
      state = (await jsm.streams.info(STREAM_AUDIT)).state;
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    if (!state.messages) return [];
    const c = await jetstream(nc).consumers.get(STREAM_AUDIT, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(state.first_seq, state.last_seq - n + 1) });
    const out: AuditEntryV1[] = [];
    try {
      let pending = (await c.info(true)).num_pending;
      while (pending > 0) {
        const m = await c.next({ expires: 2000 });
        if (!m) break;
        pending = m.info.pending;
        try {
          out.push(JSON.parse(new TextDecoder().decode(m.data)) as AuditEntryV1);
        } catch {
          /* not JSON: a foreign message on the audit subject, not an entry */
        }
      }
    } finally {
      // an ephemeral reader: if the delete fails the server drops it after its inactivity threshold
      await c.delete().catch(() => {});
    }
    return out.reverse();
  }
}
