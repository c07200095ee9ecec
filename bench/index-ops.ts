// nats-server CPU per job-index operation, on a stream configured like DOCCTL_JOBS (one message per
// subject, per-message TTL): the publishes a job's life makes (queued entry with the expected-sequence
// headers, done entry with a TTL) and the purges that drop its older entry (wildcard filter + keep 1,
// the plain queued subject, and a wildcard purge that finds nothing). CPU from /proc/<pid>/stat of the
// server this bench starts; 64 requests in flight at a time.
//   node_modules/.bin/bun bench/index-ops.ts [ops=4000] [prefilled entries=0]
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../test/helpers/nats.ts";
import { JetStreamPublisher } from "../core/runtime/nats/publisher.ts";

const N = Number(process.argv[2] ?? 4000);
const PRE = Number(process.argv[3] ?? 0);
const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });
const jsm = await jetstreamManager(nc);
await jsm.streams.add({ name: "J", subjects: ["j.>"], max_msgs_per_subject: 1, allow_msg_ttl: true } as Parameters<typeof jsm.streams.add>[0]);
const pub = new JetStreamPublisher(nc);
const ticks = async () => {
  const f = (await Bun.file(`/proc/${nats.proc.pid}/stat`).text()).split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime, 100 per second
};
const enc = new TextEncoder();
const body = new Uint8Array(120);
const purge = (req: object) => pub.publish("$JS.API.STREAM.PURGE.J", enc.encode(JSON.stringify(req)));

async function phase(name: string, f: (i: number) => Promise<unknown>) {
  const t0 = await ticks();
  const w0 = performance.now();
  const out: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    out.push(f(i));
    if (out.length >= 64) await Promise.all(out.splice(0));
  }
  await Promise.all(out);
  console.log(`  ${name}: server ${((((await ticks()) - t0) * 10_000) / N).toFixed(0)} us/op, wall ${(((performance.now() - w0) * 1000) / N).toFixed(0)} us/op`);
}

try {
  const pre: Promise<unknown>[] = [];
  for (let i = 0; i < PRE; i++) {
    pre.push(pub.publish(`j.done.echo.pre${i}.b${i % 50}`, body));
    if (pre.length >= 256) await Promise.all(pre.splice(0));
  }
  await Promise.all(pre);
  console.log(`${N} ops per line, ${PRE} entries in the stream before:`);
  await phase("queued entry, no headers", (i) => pub.publish(`j.queued.echo.a${i}.b`, body));
  await phase("queued entry as submit writes it (msg id, expected last subject sequence 0 on the wildcard)", (i) =>
    pub.publish(`j.queued.echo.b${i}.b`, body, { msgID: `b${i}.queued`, headers: { "Nats-Expected-Last-Subject-Sequence": "0", "Nats-Expected-Last-Subject-Sequence-Subject": `j.*.echo.b${i}.*` } }),
  );
  await phase("done entry with Nats-TTL", (i) => pub.publish(`j.done.echo.a${i}.b`, body, { headers: { "Nats-TTL": "86400s" } }));
  await phase("purge, wildcard filter + keep 1", (i) => purge({ filter: `j.*.echo.a${i}.*`, keep: 1 }));
  await phase("done entry with Nats-TTL (second set)", (i) => pub.publish(`j.done.echo.b${i}.b`, body, { headers: { "Nats-TTL": "86400s" } }));
  await phase("purge, the plain queued subject", (i) => purge({ filter: `j.queued.echo.b${i}.b` }));
  await phase("purge, wildcard filter + keep 1, nothing to purge", (i) => purge({ filter: `j.*.echo.b${i}.*`, keep: 1 }));
} finally {
  pub.close();
  await nc.close();
  await nats.cleanup();
}
