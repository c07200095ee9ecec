// A worker that cannot serve says so by exiting: every proc FATAL ends the worker non-zero with the
// cause; while some proc still serves, `docctl resume` gives a FATAL one a fresh start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { listWorkers } from "../../core/runtime/client/fleet.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, eventually } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir("docctl-fatal-");
  mkdirSync(join(dir.path, "plugins"));
  // Loads in the parent (which only reads file names) but fails in the procs that serve it: a missing
  // native library, as a user would see it.
  writeFileSync(
    join(dir.path, "plugins", "native.ts"),
    `if (process.env.DOCCTL_PROC_NAME && !(process.env.NATIVE_OK_IN ?? "").split(",").includes(process.env.DOCCTL_PROC_NAME)) throw new Error("libnative.so: cannot open shared object file");\nexport default () => "ok";\n`,
  );
  nc = await connectNats({ url: nats.url, reconnectForever: true });
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await nats?.cleanup();
  dir?.cleanup();
});

describe("FATAL procs", () => {
  test("a worker whose every proc is FATAL exits non-zero and names the cause", async () => {
    const w = spawnDocctl(["worker", "--procs", "2", "--name", "all-fatal", "--plugins", join(dir.path, "plugins"), "--max-fast-restarts", "1"], {
      env: { DOCCTL_NATS_URL: nats.url },
    });
    const code = await Promise.race([w.proc.exited, Bun.sleep(45_000).then(() => "still running" as const)]);
    if (code === "still running") await w.stop("SIGKILL");
    expect(code).toBe(1);
    expect(w.output()).toContain("every proc is FATAL, nothing can serve");
    expect(w.output()).toContain("libnative.so: cannot open shared object file");
    // its presence is gone: nothing claims this worker serves
    expect((await listWorkers(nc)).find((x) => x.id === "all-fatal")).toBeUndefined();
  }, 60_000);

  test("while another proc serves, the worker keeps running and `docctl resume` restarts the FATAL one", async () => {
    const w = spawnDocctl(["worker", "--procs", "1", "--dedicated", "native=1", "--name", "some-fatal", "--plugins", join(dir.path, "plugins"), "--max-fast-restarts", "1"], {
      env: { DOCCTL_NATS_URL: nats.url, NATIVE_OK_IN: "proc-1" },
    });
    try {
      const p = await eventually(async () => {
        const x = (await listWorkers(nc)).find((y) => y.id === "some-fatal");
        return x?.procs.find((q) => q.name === "native-1")?.state === "FATAL" && x.procs.find((q) => q.name === "proc-1")?.state === "RUNNING" ? x : undefined;
      }, 30_000, "native-1 FATAL beside a running proc-1");
      const before = p.procs.find((q) => q.name === "native-1")!.restarts;
      const r = await docctl(["resume", "some-fatal"], { env: { DOCCTL_NATS_URL: nats.url } });
      expect(r.code).toBe(0);
      // restarted (and, its library still missing, FATAL again after its tries)
      await eventually(async () => ((await listWorkers(nc)).find((y) => y.id === "some-fatal")?.procs.find((q) => q.name === "native-1")?.restarts ?? 0) > before, 20_000, "native-1 restarted");
      expect(w.proc.exitCode).toBeNull();
    } finally {
      const code = await w.stop();
      if (code !== 0) console.log(w.output());
      expect(code).toBe(0);
    }
  }, 60_000);
});
