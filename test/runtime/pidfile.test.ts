import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquirePidFile, commandOf, isDocctlWorker } from "../../core/runtime/supervisor/pidfile.ts";
import { eventually } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const dirs: { cleanup(): void }[] = [];
// A just-spawned child shows its parent's command line until its exec is done.
const execed = (pid: number, word: string) => eventually(() => (commandOf(pid) ?? []).includes(word), 5000, `pid ${pid} to run ${word}`);
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

describe("pid file", () => {
  test("is written with our pid and removed on release", () => {
    const d = tempDir(); dirs.push(d);
    const path = join(d.path, "run", "worker.pid");
    const pf = acquirePidFile(path);
    expect(readFileSync(path, "utf8").trim()).toBe(String(process.pid));
    pf.release();
    expect(existsSync(path)).toBe(false);
  });

  test("a live docctl worker owning it makes the start fail with a message naming its pid", async () => {
    const d = tempDir(); dirs.push(d);
    const path = join(d.path, "worker.pid");
    // a process whose command line is `.../docctl worker ...`, as a running worker's is
    const fake = join(d.path, "docctl");
    writeFileSync(fake, "#!/bin/sh\nsleep 30\n", { mode: 0o755 });
    const other = Bun.spawn(["/bin/sh", fake, "worker", "--procs", "1"]);
    await execed(other.pid, "worker");
    try {
      writeFileSync(path, `${other.pid}\n`);
      expect(() => acquirePidFile(path)).toThrow(`another worker is running with pid ${other.pid}`);
      expect(readFileSync(path, "utf8").trim()).toBe(String(other.pid));
    } finally {
      other.kill("SIGKILL");
      await other.exited;
    }
  });

  test("a dead owner's file, or garbage, is taken over", async () => {
    const d = tempDir(); dirs.push(d);
    const path = join(d.path, "worker.pid");
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    writeFileSync(path, `${gone.pid}\n`);
    acquirePidFile(path).release();
    writeFileSync(path, "not a pid");
    const pf = acquirePidFile(path);
    expect(readFileSync(path, "utf8").trim()).toBe(String(process.pid));
    pf.release();
  });

  test("a live process that is not a docctl worker (its pid re-used after a reboot) is taken over, saying so", async () => {
    const d = tempDir(); dirs.push(d);
    const path = join(d.path, "worker.pid");
    const other = Bun.spawn(["sleep", "30"]);
    await execed(other.pid, "sleep");
    try {
      writeFileSync(path, `${other.pid}\n`);
      const pf = acquirePidFile(path);
      expect(readFileSync(path, "utf8").trim()).toBe(String(process.pid));
      expect(pf.tookOverFrom).toContain(`pid ${other.pid} is \`sleep 30\`, not a docctl worker`);
      pf.release();
    } finally {
      other.kill("SIGKILL");
      await other.exited;
    }
  });

  test("what counts as a docctl worker's command line", () => {
    expect(isDocctlWorker(["/usr/local/bin/docctl", "worker", "--procs", "4"])).toBe(true);
    expect(isDocctlWorker(["/root/.bun/bin/bun", "cmd/docctl.ts", "worker"])).toBe(true);
    expect(isDocctlWorker(["/usr/local/bin/docctl", "manager"])).toBe(false);
    expect(isDocctlWorker(["sleep", "30"])).toBe(false);
    expect(isDocctlWorker(["/usr/sbin/nginx", "worker"])).toBe(false);
  });

  test("release leaves a file that someone else took over", () => {
    const d = tempDir(); dirs.push(d);
    const path = join(d.path, "worker.pid");
    const pf = acquirePidFile(path);
    writeFileSync(path, "1\n");
    pf.release();
    expect(existsSync(path)).toBe(true);
  });
});
