// Renders the droplet cloud-init user data from systemd/cloud-init.yaml (embedded in the binary).
import template from "../../../systemd/cloud-init.yaml" with { type: "text" };
import { urlHasSecret } from "../credentials.ts";

/** How a droplet's worker names itself: `do-<droplet id>`, asked of the metadata service (providers/droplet-name.ts). */
export const DROPLET_NAME_ARGS = ["--name-from", "digitalocean"];

/** The worker id of a droplet, as the manager computes it. */
export const dropletWorkerId = (dropletId: number | string) => `do-${dropletId}`;

/** What the template needs. */
export interface CloudInitValues {
  /** NATS URL as the droplets reach it (not 127.0.0.1!) */
  natsUrl: string;
  /** extra `docctl worker` arguments, e.g. ["--procs", "3"] */
  workerArgs?: string[];
  /** a .creds file already on the image (baked into the snapshot), named in worker.env: the secret never travels */
  credsPath?: string;
  /** override the template text (tests, custom images) */
  template?: string;
}

/**
 * Fills in {{NATS_URL}} and {{WORKER_ARGS}} (the worker names itself with --name-from digitalocean);
 * rejects values that would break the YAML or the shell, and a URL with credentials (user data is
 * readable by any process on the droplet).
 */
export function renderCloudInit(v: CloudInitValues): string {
  if (!/^[a-z]+:\/\/[^\s'"`$\\]+$/i.test(v.natsUrl)) throw new Error(`NATS URL for droplets is not a plain URL: ${JSON.stringify(v.natsUrl)}`);
  if (urlHasSecret(v.natsUrl)) throw new Error("the NATS URL for droplets carries credentials: they would travel in user data; use --worker-creds");
  const args = [...DROPLET_NAME_ARGS, ...(v.workerArgs ?? [])].map((a) => {
    if (!/^[\w@%+=:,./-]+$/.test(a)) throw new Error(`worker argument ${JSON.stringify(a)} has characters that are unsafe in a unit file`);
    return a;
  });
  if (v.credsPath !== undefined && !/^\/[\w@%+=:,./-]+$/.test(v.credsPath)) {
    throw new Error(`--worker-creds must be an absolute path of plain characters on the droplet (got ${JSON.stringify(v.credsPath)})`);
  }
  // worker.env's content is a YAML block: the extra line keeps its indentation
  const creds = v.credsPath ? `\n      DOCCTL_NATS_CREDS=${v.credsPath}` : "";
  return (v.template ?? template)
    .replace("DOCCTL_NATS_URL={{NATS_URL}}", `DOCCTL_NATS_URL=${v.natsUrl}${creds}`)
    .replaceAll("{{NATS_URL}}", v.natsUrl)
    .replaceAll("{{WORKER_ARGS}}", args.join(" "))
    .replace(/[ \t]+$/gm, "");
}
