import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { watchDir } from "../../core/runtime/supervisor/watch.ts";
import { tempDir } from "../helpers/tmp.ts";
import { eventually } from "../helpers/eventually.ts";

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
      await eventually(() => calls.length > 0, { timeoutMs: 3000, everyMs: 20, what: "the watcher to report" });
      await Bun.sleep(300); // a second report would come within the debounce: none must
      expect(calls.length).toBe(1);
      expect(calls[0]).toContain("echo.ts");
      expect(calls[0]!.some((f) => f.includes("index.ts"))).toBe(true);
    } finally {
      w.close();
      d.cleanup();
    }
  });
});
