// A droplet's worker names itself do-<droplet id>, the id read from the DigitalOcean metadata service
// (`docctl worker --name-from digitalocean`). At first boot the link-local service can be slow or not up
// yet: the worker asks again with a growing pause, says so on each failure, and gives up (exit 1, and
// systemd restarts it) only after `timeoutMs`. No curl, nothing in user data.
import { backoffDelay, type Backoff } from "../../runtime/util/backoff.ts";
import { sleep } from "../../runtime/util/sleep.ts";
import { dropletWorkerId } from "./cloud-init.ts";
import type { Logger } from "../../runtime/protocol/logger.ts";

/** The metadata service's answer to "which droplet am I". */
export const DROPLET_ID_URL = "http://169.254.169.254/metadata/v1/id";

export interface DropletNameOptions {
  /** where the droplet id is read (tests point it at a fake on 127.0.0.1; env DOCCTL_METADATA_URL) */
  url: string;
  /** time limit of one request, ms */
  requestTimeoutMs: number;
  /** give up after this long, ms */
  timeoutMs: number;
  backoff: Backoff;
}

export const dropletNameDefaults: DropletNameOptions = {
  url: DROPLET_ID_URL,
  requestTimeoutMs: 2_000,
  timeoutMs: 5 * 60_000,
  backoff: { initialMs: 500, factor: 2, maxMs: 10_000, jitter: 0.2 },
};

/** Reads this droplet's id and returns its worker name, retrying until `timeoutMs`. */
export async function dropletWorkerName(log: Logger, opts: Partial<DropletNameOptions> = {}, signal?: AbortSignal): Promise<string> {
  const o = { ...dropletNameDefaults, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as DropletNameOptions;
  const started = Date.now();
  let last = "";
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(o.url, { signal: AbortSignal.timeout(o.requestTimeoutMs) });
      const body = (await res.text()).trim();
      if (!res.ok) last = `HTTP ${res.status}`;
      else if (!/^\d{1,20}$/.test(body)) last = `not a droplet id: ${JSON.stringify(body.slice(0, 40))}`;
      else return dropletWorkerId(body);
    } catch (err) {
      last = (err as Error).name === "TimeoutError" ? `no answer within ${o.requestTimeoutMs}ms` : (err as Error).message;
    }
    const wait = backoffDelay(attempt, o.backoff);
    if (Date.now() - started + wait > o.timeoutMs) {
      throw new Error(`could not read this droplet's id from the metadata service ${o.url} within ${Math.round(o.timeoutMs / 1000)}s (last: ${last}); the worker needs it for its name do-<droplet id>`);
    }
    log.warn(`droplet metadata ${o.url}: ${last} (try ${attempt + 1}); asking again in ${(wait / 1000).toFixed(1)}s`);
    if (await sleep(wait, signal)) throw new Error("stopped while reading the droplet id");
  }
}
