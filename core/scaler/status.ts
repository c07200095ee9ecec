// The leading manager's state, for `docctl status`: written by the leader every tick under key
// `status` of the lease bucket DOCCTL_MANAGER (so it expires with the lease when the manager dies).
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { MANAGER_BUCKET } from "./lease.ts";
import type { ManagerSnapshot } from "./manager.ts";

export const STATUS_KEY = "status";

/** The value under DOCCTL_MANAGER `status` (docs/protocol.md). */
export interface ManagerStatusV1 {
  v: 1;
  id: string;
  provider: string;
  /** servers by state: ready only once its worker registered */
  servers: { booting: number; ready: number; draining: number; failed: number };
  desired: number | null;
  lag: number | null;
  last_reason: string;
  /** servers in a row whose worker never registered */
  boot_failures: number;
  /** why creating servers stopped, or null */
  halted: string | null;
  /** ms since epoch of this write */
  at: number;
}

/** The status value of a snapshot. Pure. */
export function statusOf(s: ManagerSnapshot, now: number): ManagerStatusV1 {
  return { v: 1, id: s.id, provider: s.provider, servers: s.servers, desired: s.desired, lag: s.lag, last_reason: s.lastReason, boot_failures: s.bootFailures, halted: s.halted, at: now };
}

/** The leading manager's last status, or null when no manager leads (or none ever ran). */
export async function readManagerStatus(nc: NatsConnection): Promise<ManagerStatusV1 | null> {
  try {
    const kv = await new Kvm(nc).open(MANAGER_BUCKET);
    const e = await kv.get(STATUS_KEY);
    if (!e || e.operation !== "PUT" || !e.length) return null;
    return JSON.parse(e.string()) as ManagerStatusV1;
  } catch {
    return null; // no manager bucket (no manager ever ran) or not JSON: no manager to show
  }
}

/** Lines for `docctl status`. Pure. */
export function renderManagerStatus(m: ManagerStatusV1): string[] {
  const s = m.servers;
  const out = [
    `manager ${m.id} (${m.provider}): servers ${s.ready} ready, ${s.booting} booting, ${s.draining} draining, ${s.failed} failed` +
      `${m.desired === null ? "" : `; wants ${m.desired}`}${m.last_reason ? ` (${m.last_reason})` : ""}`,
  ];
  if (m.halted) out.push(`  ${m.halted}`);
  else if (m.boot_failures > 0) out.push(`  ${m.boot_failures} server(s) in a row never had a worker register`);
  return out;
}
