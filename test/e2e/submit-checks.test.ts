// What `docctl submit` refuses before publishing (ids past the token limit, "__proto__" keys, time
// limits no timer can wait), an id re-used for a different job, and a full JetStream store: each a
// clear message and an exit code, never a submit waiting out its timeout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let worker: Background;
const env = () => ({ DOCCTL_NATS_URL: nats.url });
const file = (name: string, body: string) => {
  const p = join(dir.path, name);
  writeFileSync(p, body);
  return p;
};

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir("docctl-submit-checks-");
  worker = spawnDocctl(["worker", "--procs", "0", "-v"], { env: env() });
  await worker.waitFor(/pulling/, 30_000);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  dir?.cleanup();
});

describe("refused before anything is published", () => {
  test("a batch id so long that its derived job ids pass 128 characters: exit 2 naming the id", async () => {
    const batch = "b".repeat(127);
    const r = await docctl(["submit", file("long.json", JSON.stringify({ handler: "echo", id: batch, batch: [{ a: 1 }, { a: 2 }] })), "--timeout", "20s"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("must be at most 128 characters");
    expect(r.stderr).toContain(`("${batch.slice(0, 60)}`);
  });

  test('a "__proto__" key in a payload: exit 2 saying where and what to do', async () => {
    const r = await docctl(["submit", file("proto.json", `{"handler": "echo", "payload": {"user": {"__proto__": {"admin": true}}}}`), "--timeout", "20s"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('payload.user: a key named "__proto__" is not allowed');
    expect(r.stderr).toContain("rename the key");
  });

  test('the ids "__proto__", "constructor" and "prototype": exit 2 naming the id', async () => {
    for (const id of ["__proto__", "constructor", "prototype"]) {
      const r = await docctl(["submit", file(`id-${id}.json`, JSON.stringify({ handler: "echo", id, payload: {} })), "--timeout", "20s"], { env: env() });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`must not be "${id}"`);
    }
  });

  test("a payload nested deeper than the wire allows: exit 2", async () => {
    const deep = "[".repeat(120) + "1" + "]".repeat(120);
    const r = await docctl(["submit", file("deep.json", `{"handler": "echo", "payload": ${deep}}`), "--timeout", "20s"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nested deeper than 100 levels");
  });
});

test("a time limit over 2^31-1 ms (a timer would fire at once): exit 2", async () => {
  const r = await docctl(["submit", file("long-limit.json", JSON.stringify({ handler: "echo", payload: {}, timeout_ms: 2 ** 31 })), "--timeout", "20s"], { env: env() });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/timeout_ms.*(2147483647|24\.8 days)/);
});

describe("an id re-used for a different job", () => {
  test("is refused with exit 2 naming the id; the same job again is a duplicate with its result", async () => {
    const first = await docctl(["submit", file("one.json", JSON.stringify({ handler: "echo", id: "reused-1", payload: { n: 1 } })), "--json"], { env: env() });
    expect(first.code).toBe(0);
    const again = await docctl(["submit", file("same.json", JSON.stringify({ handler: "echo", id: "reused-1", payload: { n: 1 } })), "--json"], { env: env() });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ id: "reused-1", ok: true, value: { n: 1 } });
    const other = await docctl(["submit", file("other.json", JSON.stringify({ handler: "echo", id: "reused-1", payload: { n: 2 } })), "--json", "--timeout", "20s"], { env: env() });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('job id "reused-1" was already used for a different job');
    // the other job's result is not handed out as this one's
    expect(other.stdout).not.toContain('"n":1');
  });
});

describe("a full JetStream store", () => {
  test("submit says the server has no room and what to do, instead of an unexpected error", async () => {
    const small = await startNatsServer({ config: "jetstream { max_file_store: 1MB }" });
    const w = spawnDocctl(["worker", "--procs", "0", "-v", "--nats", small.url], {});
    try {
      await w.waitFor(/pulling/, 30_000);
      await w.stop();
      // 8 jobs of 300 KB: the store fills after three
      const payloads = Array.from({ length: 8 }, (_, i) => ({ i, pad: "x".repeat(300_000) }));
      const r = await docctl(["submit", file("big.json", JSON.stringify({ handler: "echo", batch: payloads })), "--nats", small.url, "--timeout", "20s", "--no-wait"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("NATS JetStream cannot store the message");
      expect(r.stderr).toContain("free space or raise the limit");
      expect(r.stderr).not.toContain("unexpected error");
    } finally {
      await w.stop();
      await small.cleanup();
    }
  }, 60_000);
});
