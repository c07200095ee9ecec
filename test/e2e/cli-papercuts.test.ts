// The CLI as a user types it, driven through the compiled binary: global options on either side of the
// command, suggestions for typos, unknown DOCCTL_* variables, every config problem at once, one JSON
// document per `ls --json`, nats CLI contexts, and shell completion scripts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docctl } from "../helpers/cli.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";

let ns: NatsServerHandle;
let authNs: NatsServerHandle;
const tmp = tempDir("docctl-cli-");
beforeAll(async () => {
  ns = await startNatsServer();
  authNs = await startNatsServer({ config: "authorization { users = [ { user: ctxuser, password: ctxpass } ] }" });
});
afterAll(async () => {
  await ns?.cleanup();
  await authNs?.cleanup();
  tmp.cleanup();
});

describe("CLI", () => {
  test("global options go before or after the command", async () => {
    const before = await docctl(["--nats", ns.url, "-v", "status", "--json"]);
    expect(before.stderr).not.toContain("unknown");
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toBeObject();
    const after = await docctl(["status", "--json", "--nats", ns.url]);
    expect(after.code).toBe(0);
    // before the command, a wrong server is still the one used (not the default): exit 4 naming it
    const port = await freePort();
    const away = await docctl(["--nats", `nats://127.0.0.1:${port}`, "status"]);
    expect(away.code).toBe(4);
    expect(away.stderr).toContain(`127.0.0.1:${port}`);
  });

  test("a misspelt command or option gets a suggestion and exit 2, in docctl's words", async () => {
    const cmd = await docctl(["sbumit", "job.json"]);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain('unknown command "sbumit" (did you mean "submit"?)');
    const flag = await docctl(["worker", "--concurency", "3", "--nats", ns.url]);
    expect(flag.code).toBe(2);
    expect(flag.stderr.trim()).toBe("docctl worker: unknown option --concurency (did you mean --concurrency?). See docctl worker --help.");
    const lead = await docctl(["--natz", ns.url, "status"]);
    expect(lead.code).toBe(2);
    expect(lead.stderr).toContain("unknown option --natz (did you mean --nats?)");
    const missing = await docctl(["submit", "--timeout"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe("docctl submit: --timeout needs a value. See docctl submit --help.");
    expect(missing.stderr).not.toMatch(/To specify a positional|'--/);
  });

  test("a DOCCTL_* variable nothing reads is warned about, naming the likely one; the command still runs", async () => {
    const r = await docctl(["status", "--json"], { env: { DOCCTL_NATS_ULR: "nats://typo:4222", DOCCTL_NATS_URL: ns.url } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("docctl: warning: DOCCTL_NATS_ULR is set but is not a docctl setting (did you mean DOCCTL_NATS_URL?)");
    const clean = await docctl(["status", "--json"], { env: { DOCCTL_NATS_URL: ns.url, DOCCTL_WORKER_CONCURRENCY: "3" } });
    expect(clean.stderr).not.toContain("warning");
  });

  test("config and config --json report every problem of docctl.toml at once; other commands refuse to run with them", async () => {
    const file = join(tmp.path, "bad.toml");
    writeFileSync(file, `natz = "x"\nverbose = "loud"\n[wroker]\nconcurrency = 8\n[worker]\nconcurency = 2\n[submit]\ntimeout = "soon"\n`);
    const text = await docctl(["config", "--config", file]);
    expect(text.code).toBe(2);
    const lines = text.stderr.trim().split("\n");
    expect(lines).toHaveLength(5);
    for (const want of ["bad.toml:1: natz", "bad.toml:2: verbose", "bad.toml:3: [wroker]", "bad.toml:6: [worker] concurency", "bad.toml:8: [submit] timeout"]) {
      expect(text.stderr).toContain(want);
    }
    expect(text.stdout).toContain("# config file:");
    const json = await docctl(["config", "--json", "--config", file]);
    expect(json.code).toBe(2);
    const doc = JSON.parse(json.stdout) as { problems: string[]; settings: unknown[] };
    expect(doc.problems).toHaveLength(5);
    expect(doc.settings.length).toBeGreaterThan(10);
    const status = await docctl(["status", "--config", file, "--nats", ns.url]);
    expect(status.code).toBe(2);
    expect(status.stderr.trim().split("\n")).toHaveLength(4); // the file's own four; [submit] timeout is not status's
  });

  test("a default explained in the help shows as its value: [up] procs = 1", async () => {
    const r = await docctl(["config", "--section", "up"]);
    expect(r.stdout).toMatch(/^procs\s+= "1"\s+# default$/m);
    expect(r.stdout).not.toContain("the manager adds workers");
  });

  test("every ls --json prints one JSON array, [] when empty", async () => {
    const env = { DOCCTL_NATS_URL: ns.url };
    for (const cmd of [["limit", "ls"], ["schedule", "ls"], ["dead", "ls"], ["template", "ls"]]) {
      const r = await docctl([...cmd, "--json"], { env });
      expect({ cmd, code: r.code, stderr: r.stderr }).toEqual({ cmd, code: 0, stderr: "" });
      expect({ cmd, doc: JSON.parse(r.stdout) }).toEqual({ cmd, doc: [] });
    }
    expect((await docctl(["limit", "set", "echo", "--concurrency", "2", "--create"], { env })).code).toBe(0); // no worker registered echo here
    const one = await docctl(["limit", "ls", "--json"], { env });
    expect(JSON.parse(one.stdout)).toMatchObject([{ handler: "echo", concurrency: 2 }]);
  });

  test("--context NAME reads a nats CLI context: url and credentials", async () => {
    const home = join(tmp.path, "xdg");
    mkdirSync(join(home, "nats", "context"), { recursive: true });
    writeFileSync(join(home, "nats", "context", "dev.json"), JSON.stringify({ description: "dev", url: authNs.url, user: "ctxuser", password: "ctxpass", token: "", creds: "" }));
    const env = { XDG_CONFIG_HOME: home };
    const ok = await docctl(["--context", "dev", "status", "--json"], { env });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    // where each came from, the password masked
    const cfg = JSON.parse((await docctl(["config", "--json", "--context", "dev"], { env })).stdout) as { settings: { key: string; value: unknown; source: string }[] };
    expect(cfg.settings.find((s) => s.key === "nats")).toMatchObject({ value: authNs.url, source: "context" });
    expect(cfg.settings.find((s) => s.key === "nats-password")).toMatchObject({ value: "***", source: "context" });
    // a flag beats the context
    const wrong = await docctl(["status", "--context", "dev", "--nats-user", "ctxuser", "--nats-password", "nope"], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("authorization failed");
    const none = await docctl(["status", "--context", "prod"], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--context prod: no such nats context");
    expect(none.stderr).toContain("contexts: dev");
  });

  test("docctl completion bash|zsh|fish prints a script that names commands and options", async () => {
    const bash = await docctl(["completion", "bash"]);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain("complete -F _docctl docctl");
    expect(bash.stdout).toContain("submit");
    expect(bash.stdout).toContain("--concurrency");
    // bash parses it, and completes "docctl sub" to submit
    const script = join(tmp.path, "c.bash");
    writeFileSync(script, `${bash.stdout}\nCOMP_WORDS=(docctl sub); COMP_CWORD=1; _docctl; echo "\${COMPREPLY[*]}"\nCOMP_WORDS=(docctl worker --conc); COMP_CWORD=2; _docctl; echo "\${COMPREPLY[*]}"\n`);
    const ran = Bun.spawnSync(["bash", script]);
    expect(ran.stdout.toString().trim().split("\n")).toEqual(["submit", "--concurrency"]);
    const zsh = await docctl(["completion", "zsh"]);
    expect(zsh.stdout.startsWith("#compdef docctl")).toBe(true);
    expect(zsh.stdout).toContain("'submit:");
    const fish = await docctl(["completion", "fish"]);
    expect(fish.stdout).toContain("complete -c docctl -n '__fish_use_subcommand' -a 'submit'");
    const bad = await docctl(["completion", "tcsh"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("give one shell: bash, zsh, fish");
  });
});
