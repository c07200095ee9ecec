// Poison and unsendable messages through the compiled worker: garbage and over-deep jobs end as dead
// letters (lag 0), results msgpack cannot carry or that are too big fail at once with their own codes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Encoder } from "@msgpack/msgpack";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { decodeDead, decodeResult, encodeJob, type JobV1, type ResultV1 } from "../../core/runtime/protocol/codec.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { spawnDocctl, eventually, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
let worker: Background;
let nc: NatsConnection;
let jsm: JetStreamManager;

// Each handler notes every run in RUNS_FILE, so "ran once" is checked, not assumed.
const note = `import { appendFileSync } from "node:fs"; const ran = (n: string) => appendFileSync(process.env.RUNS_FILE!, n + "\\n");`;
const PLUGINS: Record<string, string> = {
  "bigint.ts": `${note}\nexport default () => { ran("bigint"); return { n: 10n ** 30n }; };`,
  "circular.ts": `${note}\nexport default () => { ran("circular"); const a: any = { name: "a" }; a.self = a; return a; };`,
  "huge.ts": `${note}\nexport default () => { ran("huge"); return "x".repeat(1_200_000); };`,
  "longerr.ts": `${note}\nexport default () => { ran("longerr"); throw Object.assign(new Error("e".repeat(2_000_000)), { code: "LONG", retryable: false }); };`,
  "strict.ts": `${note}\nexport default { schema: { type: "object", additionalProperties: false, properties: { a: { type: "number" } } }, handle: () => { ran("strict"); return 1; } };`,
};

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir("docctl-poison-");
  mkdirSync(join(dir.path, "plugins"));
  for (const [f, src] of Object.entries(PLUGINS)) writeFileSync(join(dir.path, "plugins", f), src);
  worker = spawnDocctl(["worker", "--procs", "1", "--plugins", join(dir.path, "plugins"), "--ack-wait", "3s", "-v"], {
    env: { DOCCTL_NATS_URL: nats.url, RUNS_FILE: join(dir.path, "runs.txt") },
  });
  await worker.waitFor(/pulling/, 30_000);
  nc = await connectNats({ url: nats.url, reconnectForever: true });
  jsm = await jetstreamManager(nc);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await nc?.close();
  await nats?.cleanup();
  dir?.cleanup();
});

const runs = (name: string) => (existsSync(join(dir.path, "runs.txt")) ? readFileSync(join(dir.path, "runs.txt"), "utf8").split("\n").filter((l) => l === name).length : 0);
const lag = async (handler: string) => {
  const ci = await jsm.consumers.info("DOCCTL_TASKS", `docctl-${handler}`);
  return ci.num_pending + ci.num_ack_pending;
};
const deadOn = async (handler: string) => {
  const out = [];
  const info = await jsm.streams.info("DOCCTL_DEAD", { subjects_filter: `docctl.dead.${handler}` });
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage("DOCCTL_DEAD", { seq }).catch(() => null);
    if (m && m.subject === `docctl.dead.${handler}`) out.push({ bytes: m.data.byteLength, dead: decodeDead(m.data) });
  }
  return out;
};
const resultOf = async (id: string): Promise<ResultV1 | undefined> => {
  const m = await jsm.streams.getMessage("DOCCTL_RESULTS", { last_by_subj: `docctl.results.${id}.${id}` }).catch(() => null);
  return m ? decodeResult(m.data) : undefined;
};
let seq = 0;
async function submit(handler: string, payload: unknown): Promise<string> {
  const id = `poison-${handler}-${++seq}`;
  const job: JobV1 = { v: 1, id, batch: id, handler, payload, submitted_at: Date.now(), attempts: 3 };
  await jetstream(nc).publish(`docctl.tasks.${handler}`, encodeJob(job), { msgID: id });
  return id;
}

describe("poison messages", () => {
  test("1 MB of undecodable bytes and a job nested 150 deep end as dead letters that fit; lag returns to 0", async () => {
    const max = nc.info!.max_payload;
    const garbage = new Uint8Array(max - 200).fill(0xc1); // 0xc1: never used in msgpack
    await jetstream(nc).publish("docctl.tasks.echo", garbage, { msgID: "poison-garbage" });
    // A foreign client's encoder that allows any depth: 150 nested arrays inside the payload.
    let deep: unknown = "bottom";
    for (let i = 0; i < 150; i++) deep = [deep];
    const deepJob = new Encoder({ maxDepth: 1000 }).encode({ v: 1, id: "poison-deep", batch: "poison-deep", handler: "echo", payload: deep, submitted_at: Date.now() });
    await jetstream(nc).publish("docctl.tasks.echo", deepJob, { msgID: "poison-deep" });

    const dead = await eventually(async () => {
      const d = await deadOn("echo");
      return d.length >= 2 ? d : undefined;
    }, 30_000, "two dead letters on docctl.dead.echo");
    for (const d of dead) {
      expect(d.bytes).toBeLessThanOrEqual(max);
      expect(d.dead.job).toBeNull();
      expect(d.dead.error.code).toBe("BAD_MESSAGE");
    }
    const cut = dead.find((d) => d.dead.raw_size === garbage.byteLength)!;
    expect(cut).toBeDefined();
    expect(cut.dead.raw!.byteLength).toBeLessThan(garbage.byteLength);
    expect(dead.some((d) => d.dead.error.message.includes("deeper than 100 levels"))).toBe(true);
    // the deep job's id is readable: its submitter gets a failed result instead of waiting forever
    expect((await eventually(() => resultOf("poison-deep"), 10_000, "the deep job's result"))!.error!.code).toBe("BAD_MESSAGE");
    await eventually(async () => (await lag("echo")) === 0, 15_000, "echo lag 0");
  }, 60_000);
});

describe("unsendable results fail at once with their own code and run once", () => {
  const cases: [string, unknown, string, RegExp][] = [
    ["bigint", {}, "RESULT_UNENCODABLE", /cannot be sent as msgpack/],
    ["circular", {}, "RESULT_UNENCODABLE", /circular/],
    ["huge", {}, "RESULT_TOO_LARGE", /over the \d+ bytes/],
  ];
  for (const [handler, payload, code, message] of cases) {
    test(`${handler}: ${code}`, async () => {
      const id = await submit(handler, payload);
      const r = await eventually(() => resultOf(id), 20_000, `the result of ${id}`);
      expect(r.ok).toBe(false);
      expect(r.error!.code).toBe(code);
      expect(r.error!.message).toMatch(message);
      expect(r.attempts).toBe(1);
      expect(runs(handler)).toBe(1);
      const d = (await deadOn(handler)).find((x) => x.dead.job?.id === id);
      expect(d?.dead.error.code).toBe(code);
    }, 40_000);
  }

  test("a 2 MB error message and a BAD_PAYLOAD naming a 600 KB key are cut to fit", async () => {
    const id1 = await submit("longerr", {});
    const r1 = await eventually(() => resultOf(id1), 20_000, "the longerr result");
    expect(r1.error!.code).toBe("LONG");
    expect(r1.error!.message.length).toBeLessThan(5000);
    expect(r1.error!.message).toMatch(/more characters\)$/);
    expect(runs("longerr")).toBe(1);

    const id2 = await submit("strict", { ["k".repeat(600_000)]: 1 });
    const r2 = await eventually(() => resultOf(id2), 20_000, "the strict result");
    expect(r2.error!.code).toBe("BAD_PAYLOAD");
    expect(r2.error!.message.length).toBeLessThan(5000);
    expect(runs("strict")).toBe(0);
    // its dead letter keeps the job but had to leave the 600 KB payload out? It fits under 1 MB: kept.
    const d = (await deadOn("strict")).find((x) => x.dead.job?.id === id2)!;
    expect(d.bytes).toBeLessThanOrEqual(nc.info!.max_payload);
  }, 40_000);
});
