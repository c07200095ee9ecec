// Worker servers as DigitalOcean droplets: created from a snapshot, tagged, started by cloud-init,
// drained over the control subject before they are deleted. Only droplets with both tags are touched:
// docctl-worker and this fleet's docctl-fleet:<name>, so two installs on one account never meet.
import { createHash } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { drainDefaults, drainWorker, type DrainOptions } from "../../runtime/client/fleet.ts";
import { ProviderError, ProviderErrorCodes } from "../errors.ts";
import { renderCloudInit, dropletWorkerId } from "./cloud-init.ts";
import type { DoClient, DoDroplet } from "./do-api.ts";
import type { Provider, Server } from "./types.ts";
import { STREAM_TASKS } from "../../runtime/protocol/subjects.ts";
import type { Logger } from "../../runtime/protocol/logger.ts";

/** The tag every docctl worker droplet carries; list and delete never look past it. */
export const WORKER_TAG = "docctl-worker";
/** The tag of one fleet's droplets: `docctl-fleet:<name>`. */
export const fleetTag = (fleet: string) => `docctl-fleet:${fleet}`;

/** A fleet name must make a DigitalOcean tag: letters, digits, `-`, `_`, `:` (at most 64 here). */
export function fleetNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_:-]{1,64}$/.test(name)) return `must be 1-64 letters, digits, "-", "_" or ":" (a DigitalOcean tag), got ${JSON.stringify(name)}`;
  return undefined;
}

/**
 * The default fleet name of an install: from the tasks stream's identity on its NATS server (its name
 * and creation time, and the JetStream domain), so two installs never share one and a manager
 * restarted against the same NATS finds its fleet again.
 */
export function defaultFleetName(stream: { name: string; created: string; domain?: string }): string {
  const h = createHash("sha256").update(`${stream.domain ?? ""}|${stream.name}|${stream.created}`).digest("hex");
  return `nats-${h.slice(0, 12)}`;
}

/** DigitalOcean provider options. */
export interface DigitalOceanOptions {
  /** snapshot name (or numeric image id) the droplets boot from */
  image: string;
  /** region slug */
  region: string;
  /** size slug */
  size: string;
  /** SSH key ids or fingerprints to install */
  sshKeys: string[];
  /** extra tags besides `docctl-worker` and the fleet's */
  tags: string[];
  /** this manager's fleet (--fleet); unset: derived from the tasks stream (defaultFleetName) */
  fleet?: string;
  /** the tasks stream the fleet name derives from */
  stream: string;
  /** droplet name prefix; names are `<prefix>-<time>-<n>` */
  namePrefix: string;
  /** NATS URL the droplets' workers connect to */
  natsUrl: string;
  /** extra `docctl worker` arguments for the droplets */
  workerArgs: string[];
  /** a .creds file baked into the image, named in the droplet's worker.env (--worker-creds) */
  workerCreds?: string;
  /** a droplet still `new` after this long is deleted and reported, ms */
  bootTimeoutMs: number;
  /** how scale-down waits for a droplet's in-flight jobs */
  drain: DrainOptions;
}

export const digitalOceanDefaults: Omit<DigitalOceanOptions, "natsUrl"> = {
  image: "worker",
  region: "lon1",
  size: "s-1vcpu-1gb",
  sshKeys: [],
  tags: [],
  namePrefix: "docctl-worker",
  workerArgs: [],
  bootTimeoutMs: 10 * 60_000,
  drain: drainDefaults,
  stream: STREAM_TASKS,
};

/** Droplets as worker servers. */
export class DigitalOceanProvider implements Provider {
  readonly name = "digitalocean";
  get natsUrl(): string {
    return this.opts.natsUrl;
  }
  private imageId: number | null = null;
  private seq = 0;
  private fleetName: string | null = null;
  private looked = false;

  constructor(
    private client: DoClient,
    private nc: NatsConnection,
    private opts: DigitalOceanOptions,
    private log: Logger,
    /** the clock that ages droplets still `new` against bootTimeoutMs (tests pass the manager's) */
    private now: () => number = Date.now,
  ) {}

  /** Resolves --image to an image id: a number is used as is, a name is looked up among private images, then snapshots. */
  async resolveImage(): Promise<number> {
    if (this.imageId !== null) return this.imageId;
    const want = this.opts.image;
    if (/^\d+$/.test(want)) return (this.imageId = Number(want));
    const images = await this.client.listPrivateImages();
    let ids = images.filter((i) => i.name === want).map((i) => i.id);
    const names = new Set(images.map((i) => i.name));
    if (ids.length === 0) {
      const snaps = await this.client.listSnapshots();
      for (const s of snaps) names.add(s.name);
      ids = snaps.filter((s) => s.name === want).map((s) => Number(s.id));
    }
    if (ids.length === 0) {
      const found = [...names].slice(0, 10).map((n) => JSON.stringify(n)).join(", ") || "none";
      throw new ProviderError(
        `no snapshot named ${JSON.stringify(want)} on this DigitalOcean account (snapshots found: ${found}). ` +
          `Make one from a droplet with docctl installed, or pass --image <name|id>`,
        404,
        ProviderErrorCodes.IMAGE_NOT_FOUND,
      );
    }
    // several snapshots with one name: the newest (highest id) wins
    this.imageId = Math.max(...ids);
    this.log.info(`image ${JSON.stringify(want)} is id ${this.imageId}`);
    return this.imageId;
  }

  /** This manager's fleet: --fleet, or derived once from the tasks stream. */
  async fleet(): Promise<string> {
    if (this.fleetName) return this.fleetName;
    if (this.opts.fleet) return (this.fleetName = this.opts.fleet);
    const jsm = await jetstreamManager(this.nc);
    const si = await jsm.streams.info(this.opts.stream);
    this.fleetName = defaultFleetName({ name: si.config.name, created: si.created, domain: (this.nc.info as { domain?: string } | undefined)?.domain });
    this.log.info(`fleet ${this.fleetName} (from the ${this.opts.stream} stream on this NATS; --fleet NAME to choose one): only droplets tagged ${fleetTag(this.fleetName)} are listed, drained or deleted`);
    return this.fleetName;
  }

  /** Whether a droplet is this fleet's: both tags. */
  private ours(d: DoDroplet, fleet: string): boolean {
    return !!d.tags?.includes(WORKER_TAG) && d.tags.includes(fleetTag(fleet));
  }

  async list(): Promise<Server[]> {
    const fleet = await this.fleet();
    if (!this.looked) {
      // once: say what else carries the worker tag (other fleets, droplets of an older docctl), left alone
      this.looked = true;
      const all = await this.client.listDroplets(WORKER_TAG);
      const others = all.filter((d) => !this.ours(d, fleet));
      if (others.length) this.log.info(`${others.length} other droplet(s) tagged ${WORKER_TAG} belong to other fleets (or none): never touched by this manager`);
    }
    const droplets = await this.client.listDroplets(fleetTag(fleet));
    const now = this.now();
    return droplets
      // the API filters by tag already; checking again costs nothing and guards a misbehaving proxy
      .filter((d) => this.ours(d, fleet) && d.status !== "archive")
      .map((d) => this.toServer(d, now));
  }

  async create(n: number): Promise<Server[]> {
    if (n <= 0) return [];
    const image = await this.resolveImage();
    const fleet = await this.fleet();
    const userData = renderCloudInit({ natsUrl: this.opts.natsUrl, workerArgs: this.opts.workerArgs, credsPath: this.opts.workerCreds });
    const stamp = Date.now().toString(36);
    const out: Server[] = [];
    // the API creates at most 10 droplets per call
    for (let left = n; left > 0; left -= 10) {
      const names = Array.from({ length: Math.min(10, left) }, () => `${this.opts.namePrefix}-${stamp}-${++this.seq}`);
      const droplets = await this.client.createDroplets({
        names,
        region: this.opts.region,
        size: this.opts.size,
        image,
        ssh_keys: this.opts.sshKeys.map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
        tags: [WORKER_TAG, fleetTag(fleet), ...this.opts.tags.filter((t) => t !== WORKER_TAG && !t.startsWith("docctl-fleet:"))],
        user_data: userData,
        monitoring: true,
      });
      const now = this.now();
      out.push(...droplets.map((d) => this.toServer(d, now)));
    }
    return out;
  }

  failureHints(): string[] {
    return [
      `the image ${JSON.stringify(this.opts.image)} has /usr/local/bin/docctl and the docctl user, and its cloud-init ran (on a droplet: journalctl -u docctl-worker, cloud-init status --long)`,
    ];
  }

  async drainAndDelete(server: Server, signal?: AbortSignal): Promise<void> {
    let said = 0;
    const outcome = await drainWorker(this.nc, server.workerId, this.opts.drain, signal, (st, elapsed) => {
      // a progress line every 10 s of a long drain
      if (elapsed - said < 10_000) return;
      said = elapsed;
      this.log.info(`droplet ${server.name}: worker ${server.workerId} still finishing ${st.in_flight} job(s) after ${Math.round(elapsed / 1000)}s`);
    });
    if (outcome === "aborted") {
      this.log.warn(`droplet ${server.name} (${server.id}): drain interrupted; left running for the next manager`);
      return;
    }
    if (outcome === "timeout") this.log.warn(`droplet ${server.name}: worker ${server.workerId} still busy after ${Math.round(this.opts.drain.timeoutMs / 1000)}s; deleting anyway (its jobs are redelivered)`);
    if (outcome === "no-answer") this.log.info(`droplet ${server.name}: no worker ${server.workerId} answered; deleting`);
    await this.destroy(server);
  }

  async destroy(server: Server): Promise<void> {
    const id = Number(server.id);
    const d = await this.client.getDroplet(id);
    if (!d) return;
    const fleet = await this.fleet();
    if (!this.ours(d, fleet)) {
      // never delete what is not ours, whatever the caller thought
      throw new ProviderError(`refusing to delete droplet ${d.name} (${id}): it does not carry the ${WORKER_TAG} and ${fleetTag(fleet)} tags`, 0, ProviderErrorCodes.HTTP_ERROR);
    }
    await this.client.deleteDroplet(id);
    this.log.info(`deleted droplet ${d.name} (${id})`);
  }

  private toServer(d: DoDroplet, now: number): Server {
    const createdAt = Date.parse(d.created_at) || now;
    let state: Server["state"] = d.status === "new" ? "booting" : "active";
    if (d.status === "new" && now - createdAt > this.opts.bootTimeoutMs) state = "stuck";
    if (d.status === "off") state = "stuck";
    return { id: String(d.id), name: d.name, workerId: dropletWorkerId(d.id), state, createdAt };
  }
}
