// What plugin files may import from the binary itself: `import { defineHandler } from "docctl"` works in
// a plugin directory with no docctl installed, and resolves to the very code the binary runs.
import * as lib from "../core/lib/index.ts";
import * as protocol from "../core/runtime/protocol/index.ts";

let provided = false;

/** Serve "docctl" and "docctl/protocol" to plugins as modules of this process (Bun runtime plugin). Idempotent. */
export function providePackageToPlugins(): void {
  if (provided || typeof Bun === "undefined") return;
  provided = true;
  Bun.plugin({
    name: "docctl-package",
    setup(build) {
      build.module("docctl", () => ({ exports: { ...lib }, loader: "object" }));
      build.module("docctl/protocol", () => ({ exports: { ...protocol }, loader: "object" }));
    },
  });
}
