// `docctl config` checks every value it shows, and every command checks its own before it runs:
// exit 2 with where the value was set (file:line, variable, flag), the option, and what is allowed.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { count, duration, listenAddr, oneOf, pairs, settingProblems, tokenList } from "../../cmd/checks.ts";
import type { Setting } from "../../cmd/settings.ts";
import { docctl } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("docctl-config-check-");
afterAll(() => tmp.cleanup());

describe("the checks (pure)", () => {
  test("each says what is allowed, and passes what is", () => {
    expect(count(1)("8")).toBeUndefined();
    expect(count(1)("0")).toBe("must be a whole number of at least 1");
    expect(count(0)("lots")).toBe("must be a whole number of at least 0");
    expect(duration("1h30m")).toBeUndefined();
    expect(duration("forever")).toContain("must be a duration");
    expect(oneOf("local", "digitalocean")("aws")).toBe("must be one of local, digitalocean");
    expect(tokenList("pdf, title")).toBeUndefined();
    expect(tokenList("pdf,ti tle")).toContain(`(not "ti tle")`);
    expect(pairs("handler=N", count(1), ",")("pdf=2,title=1")).toBeUndefined();
    expect(pairs("handler=N", count(1), ",")("pdf=two")).toBe("must be handler=N");
    expect(listenAddr("127.0.0.1:9090")).toBeUndefined();
    expect(listenAddr("9090")).toBeUndefined();
    expect(listenAddr("localhost:http")).toBe("must be HOST:PORT or PORT, e.g. 127.0.0.1:9090");
  });

  test("a problem names where the value was set; defaults and unchecked options are left alone", () => {
    const s = (o: Partial<Setting>): Setting => ({ section: "worker", key: "concurrency", value: "lots", source: "file", where: "docctl.toml:2", ...o });
    const check = (_: string, key: string) => (key === "concurrency" ? count(1) : undefined);
    expect(settingProblems([s({}), s({ source: "env", where: "DOCCTL_WORKER_CONCURRENCY", value: "0" }), s({ source: "flag", value: "-1" }), s({ source: "default" }), s({ key: "name" })], check)).toEqual([
      `docctl.toml:2: [worker] concurrency: must be a whole number of at least 1 (got "lots")`,
      `DOCCTL_WORKER_CONCURRENCY: must be a whole number of at least 1 (got "0")`,
      `--concurrency: must be a whole number of at least 1 (got "-1")`,
    ]);
  });
});

describe("docctl config", () => {
  test(`concurrency = "lots" and ack-wait = "forever": exit 2, each with file:line, the option and what is allowed`, async () => {
    const path = join(tmp.path, "bad.toml");
    writeFileSync(path, `nats = "nats://127.0.0.1:4222"\n\n[worker]\nconcurrency = "lots"\nack-wait = "forever"\n`);
    const r = await docctl(["config", "--config", path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`docctl config: ${path}:4: [worker] concurrency: must be a whole number of at least 1 (got "lots")`);
    expect(r.stderr).toContain(`docctl config: ${path}:5: [worker] ack-wait: must be a duration: a number with a unit, like 500ms, 5s, 2m, 1h (got "forever")`);
    // the settings are still shown, to see the rest
    expect(r.stdout).toMatch(/^concurrency\s+= "lots"/m);
    const json = await docctl(["config", "--config", path, "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).problems).toHaveLength(2);
  });

  test("the command that uses the value says the same before it starts", async () => {
    const path = join(tmp.path, "ack.toml");
    writeFileSync(path, `[worker]\nack-wait = "forever"\n`);
    const r = await docctl(["worker", "--config", path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`docctl worker: ${path}:2: [worker] ack-wait: must be a duration: a number with a unit, like 500ms, 5s, 2m, 1h (got "forever")\n`);
  });

  test("values from the environment and flags are checked too; --section only checks what it shows", async () => {
    const env = await docctl(["config", "--section", "manager"], { env: { DOCCTL_MANAGER_PROVIDER: "aws" } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain(`DOCCTL_MANAGER_PROVIDER: must be one of local, digitalocean (got "aws")`);
    const other = await docctl(["config", "--section", "submit"], { env: { DOCCTL_MANAGER_PROVIDER: "aws" } });
    expect(other.code).toBe(0);
    const flag = await docctl(["config", "--log-format", "xml"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`docctl config: --log-format must be "pretty" or "json" (got "xml")`);
  });

  test("an unknown section is an error, in the file and as --section", async () => {
    const r = await docctl(["config", "--section", "nosuch"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^docctl config: --section "nosuch": no such section \(sections: global, up, worker, manager, .*config, completion\)\n$/);
    const path = join(tmp.path, "section.toml");
    writeFileSync(path, `[nosuch]\nx = 1\n`);
    const f = await docctl(["config", "--config", path]);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain(`${path}:1: [nosuch]: unknown section (known: up, worker`);
  });

  test("a valid file passes with exit 0", async () => {
    const path = join(tmp.path, "good.toml");
    writeFileSync(path, `[worker]\nconcurrency = 8\nack-wait = "45s"\ndedicated = "pdf=2,title=1"\n[manager]\nprovider = "digitalocean"\n`);
    const r = await docctl(["config", "--config", path]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});
