import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquirePidFile } from "../../core/runtime/supervisor/pidfile.ts";
import { tempDir } from "../helpers/tmp.ts";

const dirs: { cleanup(): void }[] = [];
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

  test("a live owner makes the start fail with a message naming its pid", async () => {
    const d = tempDir(); dirs.push(d);
    const path = join(d.path, "worker.pid");
    const other = Bun.spawn(["sleep", "30"]);
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

  test("release leaves a file that someone else took over", () => {
    const d = tempDir(); dirs.push(d);
    const path = join(d.path, "worker.pid");
    const pf = acquirePidFile(path);
    writeFileSync(path, "1\n");
    pf.release();
    expect(existsSync(path)).toBe(true);
  });
});
