import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { watchDir } from "../../core/runtime/supervisor/watch.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("plugin dir watcher", () => {
  test("a burst of writes, also in a subfolder, is reported once", async () => {
    const d = tempDir();
    mkdirSync(join(d.path, "pdf"));
    const calls: string[][] = [];
    const w = watchDir(d.path, 150, (f) => calls.push(f));
    try {
      await Bun.sleep(50);
      writeFileSync(join(d.path, "echo.ts"), "export default () => 1");
      writeFileSync(join(d.path, "echo.ts"), "export default () => 2");
      writeFileSync(join(d.path, "pdf", "index.ts"), "export default () => 3");
      const deadline = Date.now() + 3000;
      while (calls.length === 0 && Date.now() < deadline) await Bun.sleep(20);
      await Bun.sleep(300);
      expect(calls.length).toBe(1);
      expect(calls[0]).toContain("echo.ts");
      expect(calls[0]!.some((f) => f.includes("index.ts"))).toBe(true);
    } finally {
      w.close();
      d.cleanup();
    }
  });
});
