// Cancel against completion, for real: 200 client.submit("hold", {ms: 300}), each cancelled at a random
// moment (before it starts, while it runs, just as it ends, after it ended). A job's final result is
// written once: no result is ever replaced (one message per result subject, ever), cancel's answer
// agrees with what is stored, and every submitter is handed the stored result.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Client, Worker, defineHandler, type CancelOutcome, type JobResult } from "../../core/lib/index.ts";
import { decodeResult } from "../../core/runtime/protocol/codec.ts";
import { STREAM_RESULTS } from "../../core/runtime/protocol/subjects.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
let worker: Worker;
let client: Client;
let nc: NatsConnection;

const hold = defineHandler<{ ms: number }, string>({
  maxAttempts: 1,
  handle: async ({ ms }, ctx) => {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      ctx.signal.addEventListener("abort", () => (clearTimeout(t), reject(ctx.signal.reason)), { once: true });
    });
    return "held";
  },
});

beforeAll(async () => {
  ns = await startNatsServer();
  worker = new Worker({ nats: ns.url, handlers: { hold }, concurrency: 16, logger: {} });
  await worker.start();
  client = new Client({ nats: ns.url, waitMs: 120_000 });
  nc = await connect({ servers: ns.url });
});
afterAll(async () => {
  await nc?.close();
  await client?.close();
  await worker?.close();
  await ns.cleanup();
});

test("200 cancels at random moments: no result replaced, cancel agrees with the stored result, every submitter sees it", async () => {
  const N = 200;
  // every message ever written to a result subject of this run, in order
  const written = new Map<string, { ok: boolean; code?: string }[]>();
  const consumer = await jetstream(nc).consumers.get(STREAM_RESULTS, { filter_subjects: "docctl.results.>", deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ expires: 2_000 });
  void (async () => {
    for await (const m of messages) {
      const r = decodeResult(m.data);
      const list = written.get(r.id) ?? [];
      list.push({ ok: r.ok, code: r.error?.code });
      written.set(r.id, list);
    }
  })();

  const ids = Array.from({ length: N }, (_, i) => `race-${i}`);
  const seen: JobResult[] = [];
  const cancels: CancelOutcome[] = [];
  const cancelMs: number[] = [];
  await Promise.all(
    ids.map(async (id, i) => {
      // queued first (so the random moment is counted from the job's publish, not from a submit still
      // setting up), then a submit of the same job waits for its result (a duplicate inside the window)
      await client.enqueue("hold", { ms: 300 }, { id });
      const submitted = client.submit<string>("hold", { ms: 300 }, { id });
      // spread over before the start, the run, its end and after it
      await Bun.sleep(Math.floor(Math.random() * 700));
      const t0 = Date.now();
      const [c] = await client.cancel(id);
      cancelMs.push(Date.now() - t0);
      cancels[i] = c!;
      seen[i] = await submitted;
    }),
  );

  // every result is in (the stored one of each job), then compare
  const stored = await Promise.all(ids.map((id) => client.result(id)));
  for (let tries = 0; tries < 100 && ids.some((id) => !written.has(id)); tries++) await Bun.sleep(100);
  await messages.close();

  const replaced = ids.filter((id) => (written.get(id)?.length ?? 0) !== 1);
  expect(replaced).toEqual([]);
  for (let i = 0; i < N; i++) {
    const s = stored[i]!;
    // the submitter was handed the stored result
    expect({ id: ids[i], ok: seen[i]!.ok, code: seen[i]!.error?.code, finishedAt: seen[i]!.finishedAt }).toEqual({ id: ids[i], ok: s.ok, code: s.error?.code, finishedAt: s.finishedAt });
    const c = cancels[i]!;
    if (c.outcome === "finished") {
      // too late: the job's own result stands, and cancel said how it ended
      expect(s.ok).toBe(true);
      expect(c.was).toBe("done");
    } else if (c.outcome === "cancelled") {
      expect(s.error?.code).toBe("CANCELLED");
    } else {
      // aborting a running job: it ends CANCELLED, or ok if it finished first; "unknown": cancelled
      // before its submit had published it (the marker then stops it when a worker takes it)
      expect(["aborting", "unknown"]).toContain(c.outcome);
      expect(s.ok || s.error?.code === "CANCELLED").toBe(true);
    }
  }
  const tally = { ok: stored.filter((s) => s!.ok).length, cancelled: stored.filter((s) => s!.error?.code === "CANCELLED").length };
  const said = Object.groupBy(cancels, (c) => `${c.outcome}/${c.was}`);
  console.log(`cancel took ${Math.round(cancelMs.reduce((a, b) => a + b, 0) / cancelMs.length)} ms on average, at most ${Math.max(...cancelMs)} ms`);
  console.log(`200 jobs: ${tally.ok} ok, ${tally.cancelled} cancelled; cancel said ${Object.entries(said).map(([k, v]) => `${k} ${v!.length}`).join(", ")}`);
  expect(tally.ok + tally.cancelled).toBe(N);
  // the race was run: some were too late, some were cancelled
  expect(tally.ok).toBeGreaterThan(0);
  expect(tally.cancelled).toBeGreaterThan(0);
}, 300_000);
