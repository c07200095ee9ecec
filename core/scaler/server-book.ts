// What the manager remembers about each server between ticks (when its worker was last seen, whether
// it ever registered, whether the manager itself is removing it), and one look at the fleet through
// it: each server's state, the ones gone before their worker registered, the first registrations.
// No I/O: the manager hands in what the provider listed and the presence entries it read.
import type { PresenceV1 } from "../runtime/protocol/control.ts";
import { classifyServer, type ServerState } from "./readiness.ts";
import type { Server } from "./providers/types.ts";

/** One server as the manager counts it. */
export interface ServerView {
  s: Server;
  state: ServerState;
  why: string;
}

/** What one look found. */
export interface Look {
  views: ServerView[];
  /** servers gone before their worker ever registered (a local worker that exited, a droplet deleted by hand) */
  vanished: { server: Server; why: string }[];
  /** servers whose worker registered for the first time */
  registered: Server[];
  /**
   * servers that had served and are gone although this manager never removed them: deleted by hand,
   * by another manager, or by the provider (to be reported: their jobs in flight were cut)
   */
  lost: Server[];
  /** create → registered durations (ms) of the servers in `registered`, the policy's boot measure */
  booted: number[];
}

interface Entry {
  server: Server;
  lastSeenAt?: number;
  registered: boolean;
  /** the manager deletes or drains it: its disappearance is no failure */
  leaving?: boolean;
  /** seen before its worker registered (its boot time can be measured) */
  seenBooting?: boolean;
}

/** The servers as one tick saw them. */
export interface ServersSeen {
  views: ServerView[];
  live: ServerView[];
  failed: ServerView[];
  ready: number;
  booting: number;
  /** servers that failed to come up in this look (gone, or failed before they ever registered) */
  failedNow: number;
  registered: number;
  /** create → registered times (ms) of the servers that registered in this look */
  booted: number[];
}

export class ServerBook {
  private entries = new Map<string, Entry>();

  /** Servers just created: one that is gone before the next look failed to come up too. */
  created(servers: Server[]): void {
    for (const s of servers) this.entries.set(s.id, { server: s, registered: false, seenBooting: true });
  }

  /** The manager is removing this server (scale-in, or deleting a failed one). */
  leaving(id: string): void {
    const e = this.entries.get(id);
    if (e) e.leaving = true;
  }

  /** Whether this server's worker ever registered. */
  everRegistered(id: string): boolean {
    return this.entries.get(id)?.registered ?? false;
  }

  /** The server as last listed (for servers being drained, which are no longer listed as live). */
  server(id: string): Server | undefined {
    return this.entries.get(id)?.server;
  }

  /**
   * Classify what the provider `listed` (minus servers in `busy`, being drained) against the workers'
   * `presence`, and note who vanished and who registered since the last look.
   */
  look(listed: Server[], presence: Map<string, PresenceV1>, busy: (id: string) => boolean, now: number, bootTimeoutMs: number, describeExit: (s: Server) => string | undefined): Look {
    const out: Look = { views: [], vanished: [], registered: [], lost: [], booted: [] };
    const ids = new Set(listed.map((s) => s.id));
    for (const [id, e] of this.entries) {
      if (ids.has(id) || busy(id)) continue;
      this.entries.delete(id);
      if (!e.registered && !e.leaving) out.vanished.push({ server: e.server, why: describeExit(e.server) ?? "the provider no longer lists it" });
      else if (e.registered && !e.leaving) out.lost.push(e.server);
    }
    for (const s of listed) {
      let e = this.entries.get(s.id);
      if (!e) this.entries.set(s.id, (e = { server: s, registered: false }));
      const c = classifyServer(s, presence.get(s.workerId), e, now, bootTimeoutMs);
      if (c.state === "booting" && !e.registered) e.seenBooting = true;
      if (c.state === "ready") {
        if (!e.registered) {
          out.registered.push(s);
          // measured only for servers this manager saw booting (not ones found running at its start)
          if (e.seenBooting) out.booted.push(Math.max(0, now - s.createdAt));
        }
        e.registered = true;
        e.lastSeenAt = now;
      }
      out.views.push({ s, ...c });
    }
    return out;
  }
}
