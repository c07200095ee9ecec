// Argument forms a new user types: `--worker-args "--plugins DIR --procs 1"`, several --plugins directories.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { glueValues } from "../../cmd/main.ts";
import { command as manager } from "../../cmd/commands/manager.ts";
import { docctl, spawnDocctl } from "../helpers/cli.ts";
import { freePort } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("docctl-args-");
afterAll(() => tmp.cleanup());

describe("values that start with a dash", () => {
  test("a verbatim option takes the next argument whatever it looks like; others only when it holds spaces", () => {
    expect(glueValues(["--worker-args", "--procs", "--max", "2"], manager)).toEqual(["--worker-args=--procs", "--max", "2"]);
    expect(glueValues(["--worker-args", "--plugins /p --procs 1", "--dry-run"], manager)).toEqual(["--worker-args=--plugins /p --procs 1", "--dry-run"]);
    expect(glueValues(["--region", "-x y"], manager)).toEqual(["--region=-x y"]);
    expect(glueValues(["--region", "-x"], manager)).toEqual(["--region", "-x"]);
    expect(glueValues(["--dry-run", "--worker-args=--procs 1"], manager)).toEqual(["--dry-run", "--worker-args=--procs 1"]);
  });

  test("docctl manager --worker-args \"--plugins DIR --procs 1\" is parsed (it gets as far as waiting for NATS)", async () => {
    const port = await freePort();
    // A daemon waits for NATS instead of exiting; reaching that wait means the arguments were accepted.
    const m = spawnDocctl(["manager", "--worker-args", "--plugins ./plugins --procs 1", "--nats", `nats://127.0.0.1:${port}`]);
    try {
      await m.waitFor(/waiting for NATS/);
      expect(m.output()).not.toContain("ambiguous");
    } finally {
      await m.stop();
    }
  });
});

describe("--plugins takes several directories", () => {
  const a = join(tmp.path, "a");
  const b = join(tmp.path, "b");
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(join(a, "alpha.ts"), "export default (p: unknown) => ({ alpha: p });\n");
  writeFileSync(join(b, "beta.ts"), "export default (p: unknown) => ({ beta: p });\n");

  test("repeated and comma-separated directories are all read", async () => {
    for (const args of [["--plugins", `${a},${b}`], ["--plugins", a, "--plugins", b]]) {
      const r = await docctl(["worker", ...args, "--handlers", "alpha,beta,gamma"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--handlers: unknown handler "gamma" (known: alpha, beta, echo, pdf, title)`);
    }
  });

  test("one job type in two directories is an error naming both", async () => {
    const c = join(tmp.path, "c");
    mkdirSync(c);
    writeFileSync(join(c, "alpha.ts"), "export default () => 1;\n");
    const port = await freePort();
    const r = await docctl(["worker", "--procs", "0", "--plugins", a, "--plugins", c, "--nats", `nats://127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--plugins: handler "alpha" is in both ${join(a, "alpha.ts")} and ${join(c, "alpha.ts")}; rename one of the files`);
  });
});
