// The job index at scale: N entries in DOCCTL_JOBS (mostly done, some queued, failed, dead, retrying,
// scheduled, over 10 handlers), then the queries `docctl jobs` and `docctl job` make, timed, beside the
// old way (`job ID` scanning the task queue) on a queue of Q jobs.
// Run: node_modules/.bin/bun bench/job-index.ts [entries=1000000] [queued in the old scan=10000] [repeats=5]
// Scheduled listing alone: node_modules/.bin/bun bench/job-index.ts --scheduled 20000,100000 [repeats=3]
//   (S scheduled entries beside 4xS others, `jobs --state scheduled --limit 10` now (ordered consumer +
//   bounded heap) beside the way before (fetches of 1 000, all sorted), same server, same run)
import { cpus } from "node:os";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../test/helpers/nats.ts";
import { ensureStreams, topologyDefaults } from "../core/runtime/nats/topology.ts";
import { JetStreamPublisher } from "../core/runtime/nats/publisher.ts";
import { decodeJobEntry, encodeJobEntry, jobEntrySubject, type IndexedState, type JobEntryV1 } from "../core/runtime/protocol/job-entry.ts";
import { ttlHeader } from "../core/runtime/nats/job-index.ts";
import { countJobs, findJobEntry, queryJobs } from "../core/runtime/client/job-index.ts";
import { encodeJob } from "../core/runtime/protocol/codec.ts";
import { jobInfo } from "../core/runtime/client/job-state.ts";

if (process.argv[2] === "--scheduled") {
  await scheduledOnly(process.argv[3]!.split(",").map(Number), Number(process.argv[4] ?? 3));
  process.exit(0);
}
const N = Number(process.argv[2] ?? 1_000_000);
const Q = Number(process.argv[3] ?? 10_000);
const REPEATS = Number(process.argv[4] ?? 5);
const HANDLERS = Array.from({ length: 10 }, (_, i) => `h${i}`);
// per 1000 entries: 700 done, 150 queued, 60 failed, 40 dead, 30 retrying, 20 scheduled
const stateOf = (i: number): IndexedState => {
  const r = i % 1000;
  return r < 700 ? "done" : r < 850 ? "queued" : r < 910 ? "failed" : r < 950 ? "dead" : r < 980 ? "retrying" : "scheduled";
};

const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });
const jsm = await jetstreamManager(nc);
await ensureStreams(jsm, topologyDefaults);
console.log(`job index: ${N} entries, ${REPEATS} runs each, ${cpus().length} cores (${cpus()[0]?.model}), nats-server ${nc.info?.version}`);
const pub = new JetStreamPublisher(nc);
let t = performance.now();
const now = Date.now();
let pending: Promise<unknown>[] = [];
for (let i = 0; i < N; i++) {
  const state = stateOf(i);
  const id = `job-${i}`;
  const e: JobEntryV1 = { v: 1, id, batch: id, handler: HANDLERS[i % HANDLERS.length]!, state, at: now, submitted_at: now, attempt: state === "queued" || state === "scheduled" ? undefined : 3 };
  if (state === "scheduled") e.run_at = now + 86_400_000 + ((i * 7919) % 1_000_000);
  if (state === "failed" || state === "dead" || state === "retrying") e.error = { code: "HANDLER_ERROR", message: `upstream said 503 for item ${i}`, retryable: true };
  // scheduled entries are stored plainly here (a million server timers is not what is measured)
  const headers: Record<string, string> = state === "done" ? { "Nats-TTL": ttlHeader(86_400_000) } : {};
  // a loaded machine can take longer than a PubAck's 5 s: try again (the entry's subject is its own, so a second store is harmless)
  const put = (tries: number): Promise<unknown> => pub.publish(jobEntrySubject(e), encodeJobEntry(e), { headers }).catch((err) => (tries > 0 ? put(tries - 1) : Promise.reject(err)));
  pending.push(put(5));
  if (pending.length >= 1024) {
    await Promise.all(pending);
    pending = [];
  }
}
await Promise.all(pending);
const si = await jsm.streams.info("DOCCTL_JOBS");
console.log(`  ${si.state.messages} entries stored in ${((performance.now() - t) / 1000).toFixed(1)} s, ${(si.state.bytes / 2 ** 20).toFixed(0)} MiB on disk`);

async function timed(what: string, f: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  let out: unknown;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    out = await f();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const med = ms[Math.floor(ms.length / 2)]!;
  console.log(`  ${what.padEnd(58)} median ${med.toFixed(1).padStart(8)} ms  (min ${ms[0]!.toFixed(1)}, max ${ms.at(-1)!.toFixed(1)})  ${typeof out === "string" ? out : ""}`);
  return med;
}
const mid = `job-${Math.floor(N / 2) + 920}`; // a dead one in the middle
await timed(`jobs --state failed --limit 100`, async () => `total ${(await queryJobs(nc, { state: "failed", limit: 100 })).total}`);
await timed(`jobs --state dead --handler h3 --limit 20`, async () => `total ${(await queryJobs(nc, { state: "dead", handler: "h3", limit: 20 })).total}`);
const p1 = await queryJobs(nc, { state: "failed", limit: 100 });
await timed(`jobs --state failed --after <page 1's cursor>`, async () => `${(await queryJobs(nc, { state: "failed", limit: 100, after: p1.next })).jobs.length} jobs`);
await timed(`jobs --count`, async () => JSON.stringify(await countJobs(nc)));
await timed(`jobs --count --handler h3`, async () => `failed ${(await countJobs(nc, { handler: "h3" })).failed}`);
await timed(`index entry of job ${mid}`, async () => (await findJobEntry(jsm, mid))?.entry.state ?? "missing");
await timed(`job ${mid} (docctl job: entry, result, dead letter)`, async () => (await jobInfo(nc, mid))?.state ?? "missing");
await timed(`jobs --state scheduled --limit 10 (sorted by due time)`, async () => `total ${(await queryJobs(nc, { state: "scheduled", limit: 10 })).total}`);

// the old way: `docctl job` of the Q-th queued job scanned the task queue message by message
const tpub = new JetStreamPublisher(nc);
pending = [];
for (let i = 0; i < Q; i++) {
  const id = `q-${i}`;
  pending.push(tpub.publish("docctl.tasks.h0", encodeJob({ v: 1, id, batch: id, handler: "h0", payload: { i }, submitted_at: now }), { msgID: id }));
  if (pending.length >= 2048) {
    await Promise.all(pending);
    pending = [];
  }
}
await Promise.all(pending);
const { scanStream } = await import("../core/runtime/client/job-state.ts");
await timed(`old: scan of the task queue to its ${Q}th job`, async () => {
  let n = 0;
  for await (const m of scanStream(jsm, "DOCCTL_TASKS", "docctl.tasks.>")) if (++n === Q) return `found at seq ${m.seq}`;
  return "missing";
});
pub.close();
tpub.close();
await nc.close();
await nats.cleanup();

// `jobs --state scheduled` at S scheduled entries: now (queryJobs) beside the way before 24-r2 (an
// ephemeral consumer fetched 1 000 at a time, every entry kept and sorted), on the same server.
async function scheduledOnly(sizes: number[], repeats: number): Promise<void> {
  const nats = await startNatsServer();
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, topologyDefaults);
  const pub = new JetStreamPublisher(nc);
  console.log(`scheduled listing: ${sizes.join(", ")} scheduled entries (each beside 4x as many done), ${repeats} runs each, ${cpus().length} cores, nats-server ${nc.info?.version}`);
  const now = Date.now();
  let stored = 0;
  for (const S of sizes) {
    let pending: Promise<unknown>[] = [];
    for (; stored < S; stored++) {
      for (const state of ["scheduled", "done", "done", "done", "done"] as const) {
        const id = `${state === "scheduled" ? "s" : `d${pending.length % 4}`}-${stored}`;
        const e: JobEntryV1 = { v: 1, id, batch: id, handler: `h${stored % 10}`, state, at: now, submitted_at: now };
        if (state === "scheduled") e.run_at = now + 86_400_000 + ((stored * 7919) % 10_000_000);
        const put = (tries: number): Promise<unknown> => pub.publish(jobEntrySubject(e), encodeJobEntry(e)).catch((err) => (tries > 0 ? put(tries - 1) : Promise.reject(err)));
        pending.push(put(5));
      }
      if (pending.length >= 1000) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    const time = async (f: () => Promise<string>) => {
      const ms: number[] = [];
      let out = "";
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        out = await f();
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      return { med: ms[Math.floor(ms.length / 2)]!, min: ms[0]!, max: ms.at(-1)!, out };
    };
    const nowQ = await time(async () => {
      const p = await queryJobs(nc, { state: "scheduled", limit: 10 });
      return `total ${p.total}, first ${p.jobs[0]?.id} due ${p.jobs[0]?.run_at}`;
    });
    const before = await time(() => oldScheduled(nc, jsm, 10));
    const f = (x: { med: number; min: number; max: number }) => `median ${x.med.toFixed(0)} ms (min ${x.min.toFixed(0)}, max ${x.max.toFixed(0)})`;
    console.log(`  ${S} scheduled: now ${f(nowQ)}  ${nowQ.out}`);
    console.log(`  ${S} scheduled: before ${f(before)}  ${before.out}   -> ${(before.med / nowQ.med).toFixed(1)}x`);
  }
  pub.close();
  await nc.close();
  await nats.cleanup();
}

async function oldScheduled(nc: Awaited<ReturnType<typeof connect>>, jsm: Awaited<ReturnType<typeof jetstreamManager>>, limit: number): Promise<string> {
  const ci = await jsm.consumers.add("DOCCTL_JOBS", { ack_policy: AckPolicy.None, filter_subject: "docctl.jobs.scheduled.>", deliver_policy: DeliverPolicy.All, mem_storage: true, num_replicas: 1 });
  const all: JobEntryV1[] = [];
  try {
    let pending = ci.num_pending;
    const c = await jetstream(nc).consumers.get("DOCCTL_JOBS", ci.name);
    while (pending > 0) {
      const it = await c.fetch({ max_messages: Math.min(1000, pending), expires: 5_000 });
      let got = 0;
      for await (const m of it) {
        got++;
        pending = m.info.pending;
        const e = decodeJobEntry(m.data, m.subject);
        if (e) all.push(e);
      }
      if (got === 0) break;
    }
  } finally {
    await jsm.consumers.delete("DOCCTL_JOBS", ci.name).catch(() => {});
  }
  all.sort((a, b) => (a.run_at ?? 0) - (b.run_at ?? 0) || a.id.localeCompare(b.id));
  return `total ${all.length}, first ${all[0]?.id} due ${all[0]?.run_at}`;
}
