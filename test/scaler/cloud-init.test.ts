// The droplet user data: valid cloud-config YAML, the worker named after its droplet, unsafe values refused.
import { expect, test } from "bun:test";
import { renderCloudInit } from "../../core/scaler/providers/cloud-init.ts";

test("renders valid cloud-config that starts `docctl worker` against the given NATS as do-<droplet id>", () => {
  const text = renderCloudInit({ natsUrl: "nats://10.0.0.7:4222", workerArgs: ["--concurrency", "8"] });
  expect(text).toStartWith("#cloud-config\n");
  const doc = Bun.YAML.parse(text) as { write_files: { path: string; content: string }[]; runcmd: string[] };
  const env = doc.write_files.find((f) => f.path === "/etc/docctl/worker.env")!;
  expect(env.content).toBe("DOCCTL_NATS_URL=nats://10.0.0.7:4222\n");
  const unit = doc.write_files.find((f) => f.path.endsWith("docctl-worker.service"))!;
  expect(unit.content).toContain("ExecStart=/usr/local/bin/docctl worker --name ${DOCCTL_WORKER_NAME} --concurrency 8\n");
  expect(doc.runcmd[0]).toBe('echo "DOCCTL_WORKER_NAME=do-$(curl -sf http://169.254.169.254/metadata/v1/id)" >> /etc/docctl/worker.env');
  expect(doc.runcmd).toContain("systemctl enable --now docctl-worker.service");
});

test("a NATS URL or worker argument that would break the unit or the shell is refused", () => {
  expect(() => renderCloudInit({ natsUrl: "nats://x:4222\nExecStartPre=/bin/evil" })).toThrow("not a plain URL");
  expect(() => renderCloudInit({ natsUrl: "nats://$(reboot)" })).toThrow("not a plain URL");
  expect(() => renderCloudInit({ natsUrl: "nats://10.0.0.7:4222", workerArgs: ["; rm -rf /"] })).toThrow("unsafe");
});
