// The two echo-job runs bench/throughput.ts and bench/peers.ts compare: docctl end to end, and the raw
// JetStream loop written with the same client. Each returns jobs per second.
import { join } from "node:path";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { AckPolicy, DeliverPolicy, RetentionPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { encode } from "@msgpack/msgpack";
import { submitBatch } from "../core/runtime/client/submit.ts";
import { BIN, ROOT } from "../test/helpers/cli.ts";

/** Resolves once `stream` has printed a line matching `re`. */
export async function waitLine(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<void> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += dec.decode(chunk);
    if (re.test(buf)) return;
  }
  throw new Error(`process ended before printing ${re}: ${buf}`);
}

function startEchoWorker(natsUrl: string, c: number) {
  return Bun.spawn([BIN, "worker", "--procs", "1", "--nats", natsUrl, "--handlers", "echo", "--concurrency", String(c), "-v"], { stderr: "pipe", stdout: "ignore" });
}

/** `n` echo jobs through the compiled `docctl worker --procs 1 --concurrency c`, fed by the library's submitBatch. */
export async function docctlEchoRate(nc: NatsConnection, natsUrl: string, n: number, c: number): Promise<number> {
  const w = startEchoWorker(natsUrl, c);
  await waitLine(w.stderr, /pulling/);
  const t0 = performance.now();
  const out = await submitBatch(nc, "echo", Array.from({ length: n }, (_, i) => ({ i })), { timeoutMs: 600_000 });
  const t = performance.now() - t0;
  if (out.results.some((r) => !r?.ok)) throw new Error("docctl: some echo jobs failed");
  w.kill("SIGTERM");
  await w.exited;
  return (n / t) * 1000;
}

let cliRound = 0;
/**
 * `n` echo jobs the way a user runs them: a batch file, `docctl submit FILE --json` (its start-up and
 * reading the file included) against the compiled `docctl worker --procs 1 --concurrency c`.
 */
export async function docctlCliEchoRate(natsUrl: string, n: number, c: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "docctl-echo-"));
  const file = join(dir, "batch.json");
  writeFileSync(file, JSON.stringify({ handler: "echo", id: `cli${process.pid}r${++cliRound}`, batch: Array.from({ length: n }, (_, i) => ({ i })) }));
  const w = startEchoWorker(natsUrl, c);
  try {
    await waitLine(w.stderr, /pulling/);
    const t0 = performance.now();
    const s = Bun.spawn([BIN, "submit", file, "--json", "--nats", natsUrl, "--timeout", "10m"], { stdout: "ignore", stderr: "pipe" });
    const [code, err] = await Promise.all([s.exited, new Response(s.stderr).text()]);
    const t = performance.now() - t0;
    if (code !== 0) throw new Error(`docctl submit exited ${code}: ${err.slice(-1000)}`);
    return (n / t) * 1000;
  } finally {
    w.kill("SIGTERM");
    await w.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

let rawRound = 0;
/** `n` no-op jobs through bench/raw-worker.ts: publish → pull → publish result → ack, no framework. */
export async function rawLoopRate(nc: NatsConnection, natsUrl: string, n: number, c: number): Promise<number> {
  const round = ++rawRound;
  const jsm = await jetstreamManager(nc);
  for (const s of ["RAW_TASKS", "RAW_RESULTS"]) await jsm.streams.delete(s).catch(() => {});
  await jsm.streams.add({ name: "RAW_TASKS", subjects: ["raw.tasks.>"], retention: RetentionPolicy.Workqueue });
  await jsm.streams.add({ name: "RAW_RESULTS", subjects: ["raw.results.>"] });
  await jsm.consumers.add("RAW_TASKS", { durable_name: "raw", ack_policy: AckPolicy.Explicit, max_ack_pending: 100_000 });
  const w = Bun.spawn([process.execPath, join(ROOT, "bench/raw-worker.ts"), natsUrl, String(c)], { stdout: "pipe", stderr: "inherit" });
  await waitLine(w.stdout, /ready/);
  const js = jetstream(nc);
  const results = await js.consumers.get("RAW_RESULTS", { filter_subjects: "raw.results.>", deliver_policy: DeliverPolicy.All });
  const iter = await results.consume();
  const t0 = performance.now();
  let got = 0;
  const done = (async () => {
    for await (const _ of iter) if (++got === n) break;
  })();
  let next = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < n) {
        const i = next++;
        await js.publish(`raw.tasks.${i}`, encode({ i }), { msgID: `raw-${round}-${i}` });
      }
    }),
  );
  await done;
  const t = performance.now() - t0;
  w.kill("SIGKILL");
  await w.exited;
  return (n / t) * 1000;
}
