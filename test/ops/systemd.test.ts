// The systemd units and the droplet cloud-init: checked by systemd itself, and consistent with docctl.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, ROOT } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { commands } from "../../cmd/commands/index.ts";
import { GLOBAL_ENV } from "../../cmd/globals.ts";
import { envName } from "../../cmd/settings.ts";
import { renderCloudInit } from "../../core/scaler/providers/cloud-init.ts";

const UNITS = ["docctl-worker.service", "docctl-manager.service"];
const dir = join(ROOT, "systemd");
const tmp = tempDir("docctl-systemd-");
afterAll(() => tmp.cleanup());

// verify needs ExecStart's binary to exist: check copies that point at the one just built.
function copies(): string[] {
  return UNITS.map((u) => {
    const p = join(tmp.path, u);
    writeFileSync(p, readFileSync(join(dir, u), "utf8").replaceAll("/usr/local/bin/docctl", BIN));
    return p;
  });
}

const haveAnalyze = Bun.which("systemd-analyze") !== null;
if (!haveAnalyze) console.warn("systemd unit checks skipped: no systemd-analyze (apt-get install systemd; npm test does it)");

describe.skipIf(!haveAnalyze)("units", () => {
  test("systemd-analyze verify finds nothing wrong", () => {
    const r = Bun.spawnSync(["systemd-analyze", "verify", "--man=no", ...copies()], { stderr: "pipe", stdout: "pipe" });
    // nothing filtered: a key this systemd does not know (systemd 252 on Debian 12) is a failure
    const lines = (r.stdout.toString() + r.stderr.toString()).split("\n").filter(Boolean);
    expect(lines).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  test("they never give up restarting and rely on no key newer than systemd 252", () => {
    for (const u of [...UNITS, "cloud-init.yaml"]) {
      const lines = readFileSync(join(dir, u), "utf8").split("\n").map((l) => l.trim());
      // systemd 252 ignores these (254+): a unit leaning on them fails for good ~20 s into a NATS outage
      expect(lines.filter((l) => /^(RestartSteps|RestartMaxDelaySec)=/.test(l))).toEqual([]);
      expect(lines).toContain("StartLimitIntervalSec=0");
      expect(lines).toContain("RestartSec=5s");
      expect(lines).toContain("Restart=on-failure");
    }
  });

  test("hardening: systemd rates the exposure OK (below 3)", () => {
    for (const p of copies()) {
      const out = Bun.spawnSync(["systemd-analyze", "security", "--offline=true", "--no-pager", p]).stdout.toString();
      const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(out)?.[1]);
      expect(level).toBeLessThan(3);
    }
  });

  test("each unit runs as docctl, restarts on failure, drains on SIGTERM, and writes only its state dir", () => {
    for (const u of UNITS) {
      const text = readFileSync(join(dir, u), "utf8");
      for (const line of [
        "User=docctl",
        "Restart=on-failure",
        "KillSignal=SIGTERM",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "StateDirectory=docctl",
        "ReadWritePaths=/var/lib/docctl",
        "EnvironmentFile=-/etc/docctl/docctl.env",
      ]) {
        expect(text.split("\n")).toContain(line);
      }
      expect(text).toMatch(/^ExecStart=\/usr\/local\/bin\/docctl (worker|manager)$/m);
      if (u === "docctl-worker.service") expect(text.split("\n")).toContain("EnvironmentFile=-/etc/docctl/worker.env");
    }
  });
});

describe("settings files", () => {
  const known = new Set([
    ...Object.values(GLOBAL_ENV).flat(),
    "DOCCTL_CONFIG",
    ...commands.flatMap((c) => Object.keys(c.options).map((k) => envName(c.name, k))),
  ]);

  test("every DOCCTL_ variable in docctl.env is one docctl reads", () => {
    const names = [...readFileSync(join(dir, "docctl.env"), "utf8").matchAll(/^#?(DOCCTL_[A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !known.has(n))).toEqual([]);
  });

  test("cloud-init, as the digitalocean provider renders it: writes the droplet's settings and the hardened unit, starts it", () => {
    const text = readFileSync(join(dir, "cloud-init.yaml"), "utf8");
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    for (const p of ["{{NATS_URL}}", "{{WORKER_ARGS}}"]) expect(text).toContain(p);
    const rendered = renderCloudInit({ natsUrl: "nats://10.0.0.2:4222,nats://10.0.0.3:4222", workerArgs: ["--procs", "3"] });
    const doc = Bun.YAML.parse(rendered) as { write_files: { path: string; content: string; permissions?: string }[]; runcmd: string[] };
    const env = doc.write_files.find((f) => f.path === "/etc/docctl/worker.env")!;
    expect(env.permissions).toBe("0600");
    expect(env.content).toBe("DOCCTL_NATS_URL=nats://10.0.0.2:4222,nats://10.0.0.3:4222\n");
    expect(doc.runcmd).toContain("systemctl enable --now docctl-worker.service");
    for (const v of ["DOCCTL_NATS_URL"]) expect(known.has(v)).toBe(true);
    expect(rendered).not.toMatch(/apt|wget|packages:/);
    // the unit it writes is systemd/docctl-worker.service without comments, with the manager's arguments
    const unit = doc.write_files.find((f) => f.path === "/etc/systemd/system/docctl-worker.service")!.content;
    const strip = (u: string) => u.split("\n").filter((l) => l.trim() && !l.startsWith("#"));
    const expected = strip(readFileSync(join(dir, "docctl-worker.service"), "utf8")).map((l) =>
      l === "ExecStart=/usr/local/bin/docctl worker" ? "ExecStart=/usr/local/bin/docctl worker --name-from digitalocean --procs 3" : l,
    );
    expect(strip(unit)).toEqual(expected);
  });

  test.skipIf(!haveAnalyze)("the unit cloud-init writes passes systemd-analyze verify too", () => {
    const doc = Bun.YAML.parse(renderCloudInit({ natsUrl: "nats://10.0.0.2:4222", workerArgs: ["--concurrency", "8"] })) as { write_files: { path: string; content: string }[] };
    const p = join(tmp.path, "docctl-worker.service");
    writeFileSync(p, doc.write_files.find((f) => f.path.endsWith(".service"))!.content.replaceAll("/usr/local/bin/docctl", BIN));
    const r = Bun.spawnSync(["systemd-analyze", "verify", "--man=no", p], { stderr: "pipe", stdout: "pipe" });
    const lines = (r.stdout.toString() + r.stderr.toString()).split("\n").filter(Boolean);
    expect(lines).toEqual([]);
  });
});
