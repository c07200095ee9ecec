// Replicated streams on a real three-node cluster: whoever creates docctl's streams and buckets (worker,
// manager, submit, the library Client, `docctl up`) makes them R3 without being told; an R1 install is
// raised by `docctl streams upgrade` with its queued jobs and results kept; a stream whose only server is
// down is reported as that; and with a node down (the task stream's leader or another), 1 000 jobs
// submitted afterwards all complete exactly once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { startNatsCluster, type NatsCluster } from "../helpers/cluster.ts";
import { tempDir } from "../helpers/tmp.ts";
import { freePort } from "../helpers/nats.ts";
import { docctl, eventually, spawnDocctl } from "../helpers/cli.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { isDocctlStream } from "../../core/runtime/nats/durability.ts";
import { STREAM_RESULTS, STREAM_TASKS } from "../../core/runtime/protocol/subjects.ts";
import { Client, StreamUnavailableError, UnreachableError } from "../../core/lib/index.ts";
import { WorkerPool, runFaultBatch, tickPlugin } from "./harness.ts";

let cluster: NatsCluster;
let dir: { path: string; cleanup(): void };
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  dir = tempDir("docctl-replicas-");
  nc = await connectNats({ url: cluster.urls, reconnectForever: true });
  jsm = await jetstreamManager(nc, { timeout: 10_000 });
});

afterAll(async () => {
  await nc?.close().catch(() => {});
  await cluster?.cleanup();
  dir?.cleanup();
});

/** docctl's streams and buckets with their replica counts. */
async function docctlStreams(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const name of jsm.streams.names()) {
    if (isDocctlStream(name)) out[name] = (await jsm.streams.info(name)).config.num_replicas;
  }
  return out;
}

/** Delete every docctl stream and bucket: the next process to start creates them anew. */
async function wipe(): Promise<void> {
  for await (const name of jsm.streams.names()) if (isDocctlStream(name)) await jsm.streams.delete(name);
}

const env = () => ({ DOCCTL_NATS_URL: cluster.urls });

describe("streams created on a three-node cluster come out R3", () => {
  test("by a worker", async () => {
    await wipe();
    const { plugins } = tickPlugin(dir.path);
    const w = spawnDocctl(["worker", "--procs", "1", "--plugins", plugins, "--handlers", "tick", "-v"], { env: env() });
    try {
      await w.waitFor(/pulling/, 60_000);
      const s = await docctlStreams();
      expect(s[STREAM_TASKS]).toBe(3);
      expect(s[STREAM_RESULTS]).toBe(3);
      expect(Object.keys(s).length).toBeGreaterThanOrEqual(5);
      expect(Object.entries(s).filter(([, r]) => r !== 3)).toEqual([]);
    } finally {
      await w.stop("SIGTERM");
    }
  });

  test("by a submit (--create, nothing else running)", async () => {
    await wipe();
    const r = await docctl(["submit", "-", "--create", "--no-wait", "--json"], { env: env(), stdin: `{"handler":"later","payload":1}`, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const s = await docctlStreams();
    expect(s[STREAM_TASKS]).toBe(3);
    expect(Object.entries(s).filter(([, n]) => n !== 3)).toEqual([]);
  });

  test("by a manager", async () => {
    await wipe();
    const m = spawnDocctl(["manager", "--provider", "local", "--max", "1", "--handlers", "tick", "-v"], { env: env() });
    try {
      await eventually(async () => ((await docctlStreams())[STREAM_TASKS] ? true : undefined), 60_000, "the manager to create the streams");
      await Bun.sleep(500);
      const s = await docctlStreams();
      expect(s[STREAM_TASKS]).toBe(3);
      expect(Object.entries(s).filter(([, n]) => n !== 3)).toEqual([]);
    } finally {
      await m.stop("SIGTERM");
    }
  });

  test("by docctl up pointed at the cluster", async () => {
    await wipe();
    const up = spawnDocctl(["up", "--max", "1", "--dir", dir.path], { env: env() });
    try {
      await eventually(async () => ((await docctlStreams())[STREAM_TASKS] ? true : undefined), 60_000, "docctl up to create the streams");
      await Bun.sleep(500);
      const s = await docctlStreams();
      expect(s[STREAM_TASKS]).toBe(3);
      expect(Object.entries(s).filter(([, n]) => n !== 3)).toEqual([]);
    } finally {
      await up.stop("SIGINT");
    }
  });

  test("by the library Client, and --replicas / the replicas option override", async () => {
    await wipe();
    const client = new Client({ nats: cluster.urls });
    try {
      // "later" is known to nobody: refused, but only after the streams were made (what is checked here)
      await client.enqueue("later", { n: 1 }).catch(() => {});
    } finally {
      await client.close();
    }
    const s = await docctlStreams();
    expect(s[STREAM_TASKS]).toBe(3);
    await wipe();
    const one = new Client({ nats: cluster.urls, replicas: 1 });
    try {
      await one.enqueue("later", { n: 1 }).catch(() => {});
    } finally {
      await one.close();
    }
    expect((await docctlStreams())[STREAM_TASKS]).toBe(1);
  });
});

test("an R1 install raised by `docctl streams upgrade` keeps every queued job and result, then serves them", async () => {
  await wipe();
  const { plugins, log } = tickPlugin(dir.path);
  // an install that began with one replica: 50 jobs done (results kept), 300 queued with no worker
  const port = await freePort();
  const w = spawnDocctl(["worker", "--replicas", "1", "--procs", "1", "--plugins", plugins, "--handlers", "tick", "--http", `127.0.0.1:${port}`, "-v"], {
    env: { ...env(), FAULT_LOG: log },
  });
  await w.waitFor(/pulling/, 60_000);
  // /metrics and the /healthz detail say the streams have fewer replicas than the cluster could give
  const metrics = await eventually(async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text.includes(`docctl_stream_replicas{stream="${STREAM_TASKS}"} 1`) ? text : undefined;
  }, 30_000, "the stream gauges");
  expect(metrics).toContain("docctl_stream_replicas_expected 3");
  expect(metrics).toContain(`docctl_stream_available{stream="${STREAM_TASKS}"} 1`);
  const health = await eventually(async () => {
    const h = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { detail?: { streams?: string[] } };
    return h.detail?.streams?.length ? h : undefined;
  }, 30_000, "the /healthz stream warnings");
  expect(health.detail!.streams![0]).toContain("fewer replicas than the cluster of 3 servers could give (3)");
  const done = await docctl(["submit", "-", "--json", "--timeout", "60s"], {
    env: env(),
    stdin: JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ handler: "tick", id: `done-${i}`, payload: { ms: 1 } }))),
    timeoutMs: 90_000,
  });
  expect(done.code).toBe(0);
  await w.stop("SIGTERM");
  const queued = await docctl(["submit", "-", "--no-wait", "--json"], {
    env: env(),
    stdin: JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ handler: "tick", id: `q-${i}`, payload: { ms: 1 } }))),
    timeoutMs: 90_000,
  });
  expect(queued.code).toBe(0);
  expect((await docctlStreams())[STREAM_TASKS]).toBe(1);
  const before = { tasks: (await jsm.streams.info(STREAM_TASKS)).state.messages, results: (await jsm.streams.info(STREAM_RESULTS)).state.messages };
  expect(before).toEqual({ tasks: 300, results: 50 });

  const listed = await docctl(["streams"], { env: env() });
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(STREAM_TASKS);
  expect(listed.stderr).toContain("docctl streams upgrade");

  // more replicas than servers: refused before anything changes
  const tooMany = await docctl(["streams", "upgrade", "--replicas", "5"], { env: env() });
  expect(tooMany.code).toBe(2);
  expect(tooMany.stderr).toContain("it has 3");
  expect((await docctlStreams())[STREAM_TASKS]).toBe(1);

  const up = await docctl(["streams", "upgrade"], { env: env(), timeoutMs: 180_000 });
  expect(up.code).toBe(0);
  expect(up.stderr).toContain(`${STREAM_TASKS}: 1 -> 3 replicas`);
  expect(up.stderr).toContain(`${STREAM_TASKS}: 3 replicas, all current`);
  expect(Object.entries(await docctlStreams()).filter(([, n]) => n !== 3)).toEqual([]);
  expect((await jsm.streams.info(STREAM_TASKS)).state.messages).toBe(300);
  expect((await jsm.streams.info(STREAM_RESULTS)).state.messages).toBe(50);
  const json = JSON.parse((await docctl(["streams", "--json"], { env: env() })).stdout);
  expect(json.servers).toBe(3);
  expect(json.warnings).toEqual([]);
  // run again: nothing to change
  const again = await docctl(["streams", "upgrade"], { env: env(), timeoutMs: 60_000 });
  expect(again.code).toBe(0);
  expect(again.stderr).toContain(`${STREAM_TASKS}: 3 replicas, unchanged`);

  // the queued jobs still run, each once
  const w2 = spawnDocctl(["worker", "--procs", "1", "--plugins", plugins, "--handlers", "tick", "-v"], { env: { ...env(), FAULT_LOG: log } });
  try {
    await w2.waitFor(/pulling/, 60_000);
    await eventually(async () => ((await jsm.streams.info(STREAM_RESULTS)).state.messages === 350 ? true : undefined), 90_000, "the 300 queued jobs to finish");
  } finally {
    await w2.stop("SIGTERM");
  }
});

describe("a node down", () => {
  test("an R1 stream whose only server is down is reported as that by submit (exit 4) and status, not as a bare timeout", async () => {
    await wipe();
    // R1 streams, placed wherever the cluster puts them; then the server holding the task stream dies
    const made = await docctl(["submit", "--replicas", "1", "-", "--create", "--no-wait"], { env: env(), stdin: `{"handler":"later","payload":1}`, timeoutMs: 60_000 });
    expect(made.code).toBe(0);
    const holder = (await jsm.streams.info(STREAM_TASKS)).cluster!.leader!;
    const i = cluster.nodes.findIndex((n) => n.name === holder);
    await cluster.kill(i);
    try {
      await cluster.ready();
      const others = cluster.nodes.filter((_, k) => k !== i).map((n) => n.url).join(",");
      const r = await docctl(["submit", "-", "--no-wait", "--timeout", "5s"], { env: { DOCCTL_NATS_URL: others }, stdin: `{"handler":"later","payload":2}`, timeoutMs: 90_000 });
      expect({ code: r.code, err: r.stderr }).toMatchObject({ code: 4 });
      expect(r.stderr).toContain(STREAM_TASKS);
      expect(r.stderr).toContain("unavailable: no leader");
      expect(r.stderr).not.toContain("unexpected error");
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // the library says the same: StreamUnavailableError (an UnreachableError), code STREAM_UNAVAILABLE
      const client = new Client({ nats: others });
      try {
        const err = await client.enqueue("later", { n: 3 }, { create: true }).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(StreamUnavailableError);
        expect(err).toBeInstanceOf(UnreachableError);
        expect((err as StreamUnavailableError).code).toBe("STREAM_UNAVAILABLE");
        expect((err as StreamUnavailableError).streams).toContain(STREAM_TASKS);
      } finally {
        await client.close();
      }
      const st = await docctl(["status"], { env: { DOCCTL_NATS_URL: others }, timeoutMs: 60_000 });
      expect(st.stderr).toContain(`${STREAM_TASKS} is unavailable: it has no leader`);
    } finally {
      await cluster.start(i);
      await cluster.ready();
    }
  }, 180_000);

  for (const which of ["the task stream's leader", "a server that is not the task stream's leader"]) {
    test(`with ${which} killed, 1 000 jobs submitted afterwards all complete exactly once`, async () => {
      await wipe();
      const { plugins, log } = tickPlugin(dir.path);
      const urls = (k: number) => [...cluster.nodes.slice(k), ...cluster.nodes.slice(0, k)].map((n) => n.url).join(",");
      const pool = new WorkerPool((k) => ["worker", "--nats", urls(k), "--plugins", plugins, "--handlers", "tick", "--concurrency", "8", "-v"], { FAULT_LOG: log });
      try {
        await pool.start(3);
        expect((await jsm.streams.info(STREAM_TASKS)).config.num_replicas).toBe(3);
        const leader = (await jsm.streams.info(STREAM_TASKS)).cluster!.leader!;
        const victim = cluster.nodes.findIndex((n) => (which.startsWith("the") ? n.name === leader : n.name !== leader));
        await cluster.kill(victim);
        try {
          await cluster.ready();
          const { figures } = await runFaultBatch({
            scenario: `R3, ${which} (${cluster.nodes[victim]!.name}) down before the batch`,
            nc,
            n: 1000,
            logFile: log,
            async chaos() {
              return `${cluster.nodes[victim]!.name} down`;
            },
            timeoutMs: 120_000,
          });
          expect(figures.seenBySubmitter).toBe(1000);
          expect(figures.invocations).toBe(1000);
          expect(figures.rerunJobs).toBe(0);
        } finally {
          await cluster.start(victim);
          await cluster.ready();
        }
      } finally {
        await pool.stopAll();
      }
    }, 240_000);
  }
});
