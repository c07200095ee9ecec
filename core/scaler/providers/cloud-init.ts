// Renders the droplet cloud-init user data from systemd/cloud-init.yaml (embedded in the binary).
import template from "../../../systemd/cloud-init.yaml" with { type: "text" };

/** The worker name a droplet gives itself at first boot: `do-<droplet id>` from the metadata service. */
export const DROPLET_WORKER_NAME = "do-$(curl -sf http://169.254.169.254/metadata/v1/id)";

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

/** Fills in {{NATS_URL}}, {{WORKER_NAME}} and {{WORKER_ARGS}}; rejects values that would break the YAML or the shell. */
export function renderCloudInit(v: CloudInitValues): string {
  if (!/^[a-z]+:\/\/[^\s'"`$\\]+$/i.test(v.natsUrl)) throw new Error(`NATS URL for droplets is not a plain URL: ${JSON.stringify(v.natsUrl)}`);
  const args = (v.workerArgs ?? []).map((a) => {
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
    .replaceAll("{{WORKER_NAME}}", DROPLET_WORKER_NAME)
    .replaceAll("{{WORKER_ARGS}}", args.join(" "))
    .replace(/[ \t]+$/gm, "");
}
