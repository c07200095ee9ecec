// docctl.toml and `docctl config`: flags > environment > file > defaults, errors that name file:line.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkConfig } from "../../cmd/config-file.ts";
import { resolveSection } from "../../cmd/settings.ts";
import { FLAG_ONLY, GLOBAL_ENV, GLOBAL_OPTIONS } from "../../cmd/globals.ts";
import { commands } from "../../cmd/commands/index.ts";
import { docctl, spawnDocctl } from "../helpers/cli.ts";
import { startNatsServer } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";

const specs = Object.fromEntries(commands.map((c) => [c.name, c.options]));
const check = (text: string) => checkConfig(text, "docctl.toml", GLOBAL_OPTIONS, specs, FLAG_ONLY);
// the problems of a file as one error, as a command that cannot run with them reports them
const strict = (text: string) => {
  const f = check(text);
  if (f.problems.length) throw new Error(f.problems.join("\n"));
  return f;
};
const tmp = tempDir("docctl-config-");
afterAll(() => tmp.cleanup());

describe("reading docctl.toml", () => {
  test("globals at the top, command options in sections, numbers and lists as the flags take them", () => {
    const f = check(`nats = "nats://10.0.0.1:4222"\nverbose = 2\n\n[worker]\nconcurrency = 8\nhandlers = ["pdf", "title"]\n\n[submit]\ntimeout = "5m"\njson = true\n`);
    expect(f.globals.get("nats")).toEqual({ value: "nats://10.0.0.1:4222", where: "docctl.toml:1" });
    expect(f.globals.get("verbose")!.value).toEqual([true, true]);
    expect(f.sections.get("worker")!.get("concurrency")).toEqual({ value: "8", where: "docctl.toml:5" });
    expect(f.sections.get("worker")!.get("handlers")!.value).toBe("pdf,title");
    expect(f.sections.get("submit")!.get("json")!.value).toBe(true);
  });

  test("an unknown key names the line, the section and the known keys", () => {
    expect(() => strict(`nats = "x"\n\n[worker]\nconcurrency = 2\n\n\nconcurency = 8\n`)).toThrow(
      /^docctl\.toml:7: \[worker\] concurency: unknown key \(did you mean concurrency\?\) \(known: .*\bconcurrency, handlers, plugins\b.*\back-wait\b/,
    );
    expect(() => strict(`[wroker]\nconcurrency = 8\n`)).toThrow(/^docctl\.toml:1: \[wroker\]: unknown section \(did you mean \[worker\]\?\) \(known: up, worker, .*submit/);
    expect(() => strict(`concurrency = 8\n`)).toThrow(/docctl\.toml:1: concurrency: unknown key .*is an option of \[up\], \[worker\](, \[\w+\])*: put it in that section/);
    expect(() => strict(`[worker]\nnats = "x"\n`)).toThrow(/"nats" is a global setting: put it at the top/);
    expect(() => strict(`config = "other.toml"\n`)).toThrow(/config: unknown key/);
  });

  test("a value of the wrong type names the key; bad TOML names line and column", () => {
    expect(() => strict(`[submit]\n\njson = "yes"\n`)).toThrow(`docctl.toml:3: [submit] json: must be true or false (got "yes")`);
    expect(() => strict(`[worker]\nconcurrency = true\n`)).toThrow(`docctl.toml:2: [worker] concurrency: must be a string or a number (got boolean true)`);
    expect(() => strict(`nats = "a"\nverbose = 2\nlog-format = "json\n`)).toThrow(/^docctl\.toml:3:\d+: /);
  });

  test("every problem of a file is reported at once, each with its line; the good keys are still read", () => {
    const f = check(`natz = "x"\nverbose = "loud"\nlog-format = "json"\n\n[wroker]\nconcurrency = 8\n\n[worker]\nconcurency = 2\nhandlers = true\nprocs = "2"\n`);
    expect(f.problems).toEqual([
      expect.stringMatching(/^docctl\.toml:1: natz: unknown key \(did you mean nats\?\)/),
      expect.stringMatching(/^docctl\.toml:2: verbose: must be a whole number/),
      expect.stringMatching(/^docctl\.toml:5: \[wroker\]: unknown section \(did you mean \[worker\]\?\)/),
      expect.stringMatching(/^docctl\.toml:9: \[worker\] concurency: unknown key \(did you mean concurrency\?\)/),
      expect.stringMatching(/^docctl\.toml:10: \[worker\] handlers: must be a string/),
    ]);
    expect(f.globals.get("log-format")!.value).toBe("json");
    expect(f.sections.get("worker")!.get("procs")!.value).toBe("2");
  });

  test("snake_case keys are accepted for the dashed flag names", () => {
    expect(check(`log_format = "json"\n[worker]\nmax_attempts = 5\n`).sections.get("worker")!.get("max-attempts")!.value).toBe("5");
  });
});

describe("precedence", () => {
  const file = check(`nats = "nats://file:4222"\nlog-format = "json"\n[worker]\nconcurrency = 3\ntimeout = "10s"\n`);
  const resolve = (flags: Record<string, string>, env: Record<string, string>) => [
    ...resolveSection({ section: "", spec: GLOBAL_OPTIONS, flags, env, file: file.globals, envNames: GLOBAL_ENV, skip: FLAG_ONLY }),
    ...resolveSection({ section: "worker", spec: specs.worker!, flags, env, file: file.sections.get("worker"), skip: FLAG_ONLY }),
  ];
  test("a flag beats the environment, which beats the file, which beats the default", () => {
    const s = resolve({ concurrency: "9" }, { DOCCTL_NATS_URL: "nats://env:4222", DOCCTL_WORKER_CONCURRENCY: "5", DOCCTL_WORKER_TIMEOUT: "20s" });
    const get = (k: string) => s.find((x) => x.key === k)!;
    expect(get("concurrency")).toMatchObject({ value: "9", source: "flag" });
    expect(get("timeout")).toMatchObject({ value: "20s", source: "env", where: "DOCCTL_WORKER_TIMEOUT" });
    expect(get("nats")).toMatchObject({ value: "nats://env:4222", source: "env", where: "DOCCTL_NATS_URL" });
    expect(get("log-format")).toMatchObject({ value: "json", source: "file", where: "docctl.toml:2" });
    expect(get("plugins")).toMatchObject({ value: undefined, source: "default" });
  });
});

describe("the binary", () => {
  test("docctl config --json shows values, their origins, and masks secrets", async () => {
    const path = join(tmp.path, "docctl.toml");
    writeFileSync(path, `nats = "nats://alice:pw-in-url-99@127.0.0.1:4222"\nnats-user = "alice"\n\n[worker]\nconcurrency = 8\n`);
    const r = await docctl(["config", "--json", "--log-format", "json"], { cwd: tmp.path, env: { DOCCTL_NATS_PASSWORD: "pw-env-12345", DOCCTL_SUBMIT_TIMEOUT: "2m" } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("pw-in-url-99");
    expect(r.stdout).not.toContain("pw-env-12345");
    const out = JSON.parse(r.stdout) as { file: string; settings: { section: string; key: string; value: unknown; source: string; where: string | null }[] };
    const get = (section: string, key: string) => out.settings.find((s) => s.section === section && s.key === key);
    expect(out.file).toBe("docctl.toml");
    expect(get("global", "nats")).toEqual({ section: "global", key: "nats", value: "nats://***@127.0.0.1:4222", source: "file", where: "docctl.toml:1" });
    expect(get("global", "nats-password")).toEqual({ section: "global", key: "nats-password", value: "***", source: "env", where: "DOCCTL_NATS_PASSWORD" });
    expect(get("global", "log-format")).toMatchObject({ value: "json", source: "flag" });
    expect(get("global", "verbose")).toMatchObject({ value: 0, source: "default" });
    expect(get("worker", "concurrency")).toMatchObject({ value: "8", source: "file", where: "docctl.toml:5" });
    expect(get("submit", "timeout")).toMatchObject({ value: "2m", source: "env", where: "DOCCTL_SUBMIT_TIMEOUT" });
    // defaults as each command's --help states them
    expect(get("worker", "ack-wait")).toEqual({ section: "worker", key: "ack-wait", value: "30s", source: "default", where: null });
  });

  test("a bad file stops every command with exit 2 and the place to fix", async () => {
    const path = join(tmp.path, "bad.toml");
    writeFileSync(path, `[worker]\nconcurency = 8\n`);
    const r = await docctl(["submit", "-", "--config", path], { stdin: "{}" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path}:2: [worker] concurency: unknown key (did you mean concurrency?) (known: `);
    expect(r.stderr).toContain(" concurrency, ");
    expect(r.stderr).not.toContain("child"); // internal flags are not settings
    const missing = await docctl(["config"], { env: { DOCCTL_CONFIG: join(tmp.path, "nope.toml") } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.toml: no such file");
  });

  test("a bad value from the file is reported with where it was set", async () => {
    const path = join(tmp.path, "val.toml");
    writeFileSync(path, `[worker]\nconcurrency = "lots"\n`);
    const r = await docctl(["worker", "--config", path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`docctl worker: ${path}:2: [worker] concurrency: must be a whole number of at least 1 (got "lots")`);
  });

  test("settings from the file reach the commands: the NATS URL, the worker's name, submit --json", async () => {
    const s = await startNatsServer();
    const dir = tempDir("docctl-config-run-");
    try {
      writeFileSync(join(dir.path, "docctl.toml"), `nats = "${s.url}"\n\n[worker]\nname = "from-the-file"\n\n[submit]\njson = true\ntimeout = "20s"\n`);
      const w = spawnDocctl(["worker", "-v"], { cwd: dir.path });
      await w.waitFor(/pulling/);
      const r = await docctl(["submit", "-"], { cwd: dir.path, stdin: JSON.stringify({ handler: "echo", payload: 7 }) });
      await w.stop();
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, value: 7, worker: "from-the-file" });
    } finally {
      await s.cleanup();
      dir.cleanup();
    }
  });
});
