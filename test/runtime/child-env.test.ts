// Child processes get only the environment they need: Chromium no docctl settings (no NATS password),
// a manager's local workers never its DigitalOcean token or --http-token.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { helperEnv, workerEnv } from "../../core/runtime/util/env.ts";
import { LocalProvider, localDefaults } from "../../core/scaler/providers/local.ts";
import { captureLog, waitFor } from "../scaler/setup.ts";
import { tempDir } from "../helpers/tmp.ts";

const parent = { PATH: "/usr/bin", HOME: "/home/d", LANG: "C.UTF-8", LC_ALL: "C", DOCCTL_NATS_PASSWORD: "pw", DOCCTL_NATS_URL: "nats://x", DIGITALOCEAN_TOKEN: "dop_v1_x", DOCCTL_HTTP_TOKEN: "t", MY_PLUGIN_KEY: "k" };

test("Chromium gets what a program needs to run, nothing of docctl's or the user's secrets", () => {
  expect(helperEnv(parent)).toEqual({ PATH: "/usr/bin", HOME: "/home/d", LANG: "C.UTF-8", LC_ALL: "C" });
});

test("a worker gets the manager's environment minus the manager's own secrets, with its settings on top", () => {
  const env = workerEnv({ DOCCTL_NATS_URL: "nats://w" }, parent);
  expect(env.DIGITALOCEAN_TOKEN).toBeUndefined();
  expect(env.DOCCTL_HTTP_TOKEN).toBeUndefined();
  expect(env).toMatchObject({ DOCCTL_NATS_URL: "nats://w", DOCCTL_NATS_PASSWORD: "pw", MY_PLUGIN_KEY: "k", PATH: "/usr/bin" });
});

test("a local worker process really does not see DIGITALOCEAN_TOKEN", async () => {
  const dir = tempDir();
  const out = join(dir.path, "env.json");
  process.env.DIGITALOCEAN_TOKEN = "dop_v1_must_not_reach_workers";
  try {
    const dump = [process.execPath, "-e", `require("node:fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env))`];
    const p = new LocalProvider({ ...localDefaults, command: dump, natsUrl: "nats://127.0.0.1:4222", stdio: "ignore", idPrefix: "envcheck" }, captureLog());
    await p.create(1);
    const env = await waitFor("the worker's environment", () => {
      try {
        return JSON.parse(readFileSync(out, "utf8")) as Record<string, string>;
      } catch {
        return undefined;
      }
    });
    expect(env!.DIGITALOCEAN_TOKEN).toBeUndefined();
    expect(env!.DOCCTL_NATS_URL).toBe("nats://127.0.0.1:4222");
    await p.stop();
  } finally {
    delete process.env.DIGITALOCEAN_TOKEN;
    dir.cleanup();
  }
});
