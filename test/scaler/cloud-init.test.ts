// The droplet user data: valid cloud-config YAML, the worker named after its droplet, unsafe values refused.
import { expect, test } from "bun:test";
import { workerCredentials } from "../../core/scaler/credentials.ts";
import { renderCloudInit } from "../../core/scaler/providers/cloud-init.ts";
import { silentLogger } from "../../core/runtime/util/log.ts";

test("renders valid cloud-config that starts `docctl worker` against the given NATS as do-<droplet id>", () => {
  const text = renderCloudInit({ natsUrl: "nats://10.0.0.7:4222", workerArgs: ["--concurrency", "8"] });
  expect(text).toStartWith("#cloud-config\n");
  const doc = Bun.YAML.parse(text) as { write_files: { path: string; content: string }[]; runcmd: string[] };
  const env = doc.write_files.find((f) => f.path === "/etc/docctl/worker.env")!;
  expect(env.content).toBe("DOCCTL_NATS_URL=nats://10.0.0.7:4222\n");
  const unit = doc.write_files.find((f) => f.path.endsWith("docctl-worker.service"))!;
  // the worker asks the metadata service for its droplet id itself (with retries): no curl, no shell
  expect(unit.content).toContain("ExecStart=/usr/local/bin/docctl worker --name-from digitalocean --concurrency 8\n");
  expect(text).not.toContain("curl");
  expect(doc.runcmd).toEqual(["systemctl daemon-reload", "systemctl enable --now docctl-worker.service"]);
});

test("a NATS URL or worker argument that would break the unit or the shell is refused", () => {
  expect(() => renderCloudInit({ natsUrl: "nats://x:4222\nExecStartPre=/bin/evil" })).toThrow("not a plain URL");
  expect(() => renderCloudInit({ natsUrl: "nats://$(reboot)" })).toThrow("not a plain URL");
  expect(() => renderCloudInit({ natsUrl: "nats://10.0.0.7:4222", workerArgs: ["; rm -rf /"] })).toThrow("unsafe");
});

test("--worker-creds: worker.env names a .creds file baked into the image; no secret in the user data", () => {
  const text = renderCloudInit({ natsUrl: "nats://10.0.0.2:4222", credsPath: "/etc/docctl/worker.creds" });
  const doc = Bun.YAML.parse(text) as { write_files: { path: string; content: string }[] };
  expect(doc.write_files.find((f) => f.path === "/etc/docctl/worker.env")!.content).toBe("DOCCTL_NATS_URL=nats://10.0.0.2:4222\nDOCCTL_NATS_CREDS=/etc/docctl/worker.creds\n");
  expect(() => renderCloudInit({ natsUrl: "nats://10.0.0.2:4222", credsPath: "worker.creds; reboot" })).toThrow("--worker-creds must be an absolute path");
});

test("a NATS URL with a password never reaches the user data: refused by the renderer and the manager", async () => {
  expect(() => renderCloudInit({ natsUrl: "nats://worker:s3cret@10.0.0.2:4222" })).toThrow("use --worker-creds");
  const { createManager } = await import("../../core/scaler/create.ts");
  const log = silentLogger();
  const cfg = { provider: "digitalocean" as const, natsUrl: "nats://127.0.0.1:4222", workerNatsUrl: "nats://worker:s3cret@10.0.0.2:4222", manager: {}, doToken: "t" };
  let err: Error | undefined;
  try {
    createManager(cfg, {} as never, log);
  } catch (e) {
    err = e as Error;
  }
  expect(err?.message).toContain("--worker-creds");
  expect(err?.message).toContain("refuses");
  expect(err?.message).not.toContain("s3cret");
});

test("which credentials droplets get, and a warning when a password would travel in user data", () => {
  const baked = workerCredentials({ provider: "digitalocean", workerNatsUrl: "nats://10.0.0.2:4222", workerCreds: "/etc/docctl/worker.creds" });
  expect(baked.mode).toContain("/etc/docctl/worker.creds baked into the image");
  expect(baked.warnings).toEqual([]);
  const inUrl = workerCredentials({ provider: "digitalocean", workerNatsUrl: "nats://worker:s3cret@10.0.0.2:4222" });
  expect(inUrl.warnings.join()).toContain("would travel in every droplet's cloud-init user data");
  expect(inUrl.warnings.join()).not.toContain("s3cret");
  expect(inUrl.refused).toContain("--worker-creds");
  expect(workerCredentials({ provider: "digitalocean", workerNatsUrl: "nats://10.0.0.2:4222" }).mode).toContain("/etc/docctl/docctl.env");
  expect(workerCredentials({ provider: "local", workerNatsUrl: "nats://u:p@127.0.0.1:4222" }).warnings).toEqual([]);
});
