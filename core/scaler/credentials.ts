// Which NATS credentials the manager's workers will use, and whether a reusable secret would travel
// in a droplet's cloud-init user data (readable by any process on the droplet from the metadata
// service at 169.254.169.254). Pure: `docctl config` and `docctl manager` both call it.
import { redactUrl } from "../runtime/util/redact.ts";

export interface WorkerCredentialInput {
  provider: "local" | "digitalocean";
  /** the URL the workers are told (--worker-nats, else --nats) */
  workerNatsUrl: string;
  /** --worker-creds: a .creds file on the droplet image, named by path */
  workerCreds?: string;
  /** the manager's own NATS auth, by kind (user/password, token, nkey, creds), if any */
  managerAuth?: "user" | "token" | "nkey" | "creds";
}

export interface WorkerCredentials {
  /** one line saying what the workers authenticate with and how it reaches them */
  mode: string;
  /** what is risky about it, with what to do instead */
  warnings: string[];
  /** set when the manager must refuse to start: a secret would travel in user data (what to do instead) */
  refused?: string;
}

/** Whether `url` (or any of several comma-separated URLs) carries a user, password or token. */
export function urlHasSecret(url: string): boolean {
  return url.split(",").some((u) => /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]+@/i.test(u.trim()));
}

/** What the workers authenticate with, and the warnings about it. */
export function workerCredentials(i: WorkerCredentialInput): WorkerCredentials {
  const inUrl = urlHasSecret(i.workerNatsUrl);
  if (i.provider === "local") {
    const how = i.managerAuth ? `the manager's own NATS ${i.managerAuth} credentials` : inUrl ? "the credentials in the NATS URL" : "no NATS credentials";
    return { mode: `local workers: ${how}, passed through their environment (never on a command line)`, warnings: [] };
  }
  const warnings: string[] = [];
  if (inUrl) {
    warnings.push(
      `the worker NATS URL ${redactUrl(i.workerNatsUrl)} carries a password or token: it would travel in every droplet's cloud-init user data, ` +
        `which any process on the droplet can read from the metadata service, so the manager refuses it. Give --worker-nats without credentials and bake a ` +
        `least-privilege .creds file into the snapshot (--worker-creds PATH), or its user and password into the image's /etc/docctl/docctl.env (docs/deploy.md)`,
    );
  }
  let mode: string;
  if (i.workerCreds) mode = `droplets: the .creds file ${i.workerCreds} baked into the image (user data names the path; no secret travels)`;
  else if (inUrl) mode = "droplets: REFUSED: the password in the NATS URL would be sent in cloud-init user data";
  else mode = "droplets: whatever the image's /etc/docctl/docctl.env holds (DOCCTL_NATS_CREDS or DOCCTL_NATS_USER/PASSWORD); nothing secret in user data";
  if (i.workerCreds && inUrl) warnings.push("--worker-creds is given but the URL carries credentials too: drop them from --worker-nats");
  return { mode, warnings, refused: inUrl ? warnings[0] : undefined };
}
