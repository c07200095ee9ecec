// The plugin example of docs/plugins.md, run as the doc says: a worker with --plugins, submit with --out.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, ROOT, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let worker: Background;
const out = tempDir();

beforeAll(async () => {
  nats = await startNatsServer();
  worker = spawnDocctl(["worker", "--plugins", join(ROOT, "examples/plugins"), "-v"], { env: { DOCCTL_NATS_URL: nats.url } });
  await worker.waitFor(/pulling/);
});
afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  out.cleanup();
});

test("the wordcount example counts words and its report document lands in --out", async () => {
  const r = await docctl(["submit", join(ROOT, "examples/wordcount.json"), "--out", out.path, "--json"], { env: { DOCCTL_NATS_URL: nats.url } });
  expect(r.code).toBe(0);
  const res = JSON.parse(r.stdout);
  expect(res.value.top).toEqual([["chien", 2], ["cat", 1], ["chat", 1]]);
  // a small document travels inline in the result
  expect(res.output).toMatchObject({ inline: true, size: 21, content_type: "text/tab-separated-values", filename: "wordcount-wc-1.tsv" });
  const saved = readFileSync(join(out.path, "wordcount-wc-1.tsv"), "utf8");
  expect(saved.split("\n")[0]).toBe("chien\t2");
  expect(new Bun.CryptoHasher("sha256").update(saved).digest("hex")).toBe(res.output.sha256);
});

test("its own error code is reported and not retried", async () => {
  const r = await docctl(["submit", "-", "--json"], { env: { DOCCTL_NATS_URL: nats.url }, stdin: `{"handler":"wordcount","payload":{"text":"  "}}` });
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout)).toMatchObject({ attempts: 1, error: { code: "EMPTY_TEXT", retryable: false } });
});
