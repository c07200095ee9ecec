// `docctl config` says which NATS credentials this host and the manager's workers use, and warns when a
// password would travel in droplet user data.
import { expect, test } from "bun:test";
import { docctl } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

test("a password in --worker-nats for droplets is named as such and warned about, never shown", async () => {
  const dir = tempDir();
  const env = { DOCCTL_MANAGER_PROVIDER: "digitalocean", DOCCTL_MANAGER_WORKER_NATS: "nats://docctl-worker:pw-in-url-77@10.0.0.2:4222", DOCCTL_NATS_USER: "docctl-admin", DOCCTL_NATS_PASSWORD: "admin-pw-99" };
  const r = await docctl(["config"], { env, cwd: dir.path });
  expect(r.stdout).toContain("# NATS, this host: user docctl-admin with a password");
  expect(r.stdout).toContain("# workers the manager starts: droplets: REFUSED: the password in the NATS URL would be sent in cloud-init user data");
  expect(r.stdout).toContain("# WARNING: the worker NATS URL nats://***@10.0.0.2:4222 carries a password or token");
  expect(r.stderr).toContain("would travel in every droplet's cloud-init user data");
  expect(r.stderr).toContain("the manager refuses it");
  expect(r.stderr).toContain("--worker-creds");
  expect(r.stdout + r.stderr).not.toContain("pw-in-url-77");
  expect(r.stdout + r.stderr).not.toContain("admin-pw-99");
  const baked = await docctl(["config", "--json"], { env: { ...env, DOCCTL_MANAGER_WORKER_NATS: "nats://10.0.0.2:4222", DOCCTL_MANAGER_WORKER_CREDS: "/etc/docctl/worker.creds" }, cwd: dir.path });
  const j = JSON.parse(baked.stdout);
  expect(j.credentials.workers.mode).toContain("/etc/docctl/worker.creds baked into the image");
  expect(j.credentials.workers.warnings).toEqual([]);
  dir.cleanup();
});
