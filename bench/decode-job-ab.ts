// decodeJob of this tree against decodeJob of an older commit, in CPU time (process.cpuUsage), in the
// same process: alternating blocks of 10 000 decodes, so a loaded machine slows both alike.
//   node_modules/.bin/bun bench/decode-job-ab.ts <old commit, e.g. ecc3c7e^> [blocks, default 40]
// The old codec (and the subjects/backoff files it imports) are written beside the new one for the run
// as core/runtime/protocol/.ab-old-*.ts and removed after.
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeJob, encodeJob, type JobV1 } from "../core/runtime/protocol/codec.ts";

const rev = process.argv[2];
if (!rev) throw new Error("usage: bun bench/decode-job-ab.ts <old commit> [blocks]");
const blocks = Number(process.argv[3] ?? 40);
const dir = join(import.meta.dir, "../core/runtime/protocol");
const old = (f: string) => execFileSync("git", ["show", `${rev}:core/runtime/protocol/${f}`], { encoding: "utf8" });
const written = [".ab-old-codec.ts", ".ab-old-subjects.ts", ".ab-old-backoff.ts"].map((f) => join(dir, f));
try {
  writeFileSync(written[0]!, old("codec.ts").replace('"./subjects.ts"', '"./.ab-old-subjects.ts"').replace('"./backoff.ts"', '"./.ab-old-backoff.ts"'));
  writeFileSync(written[1]!, old("subjects.ts"));
  writeFileSync(written[2]!, old("backoff.ts"));
  const oldDecode = (await import(written[0]!)).decodeJob as typeof decodeJob;
  const typical: JobV1 = {
    v: 1, id: "b3f1c2d4e5f60718293a-17", batch: "b3f1c2d4e5f60718293a", handler: "pdf",
    payload: { template: "invoice", data: { number: "2026-0017", customer: { name: "Ada Lovelace", city: "London" }, items: [{ sku: "A1", qty: 2, price: 9.5 }, { sku: "B7", qty: 1, price: 120 }] } },
    submitted_at: 1_796_000_000_000, attempts: 3, timeout_ms: 60_000, hash: "0123456789abcdef0123456789abcdef",
  };
  const chain: JobV1 = { ...typical, priority: "high", backoff: { type: "exponential", delay_ms: 1000, factor: 2 }, next: [{ id: "c-1", handler: "mail", delay_ms: 500 }, { id: "c-2", handler: "archive" }] };
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (const [name, job] of [["typical", typical], ["chain", chain]] as const) {
    const b = encodeJob(job);
    if (!oldDecode(b).ok || !decodeJob(b).ok) throw new Error(`the ${name} job does not decode`);
    for (let i = 0; i < 40_000; i++) (oldDecode(b), decodeJob(b));
    let to = 0;
    let tn = 0;
    for (let r = 0; r < blocks; r++) {
      let t = cpu();
      for (let i = 0; i < 10_000; i++) oldDecode(b);
      to += cpu() - t;
      t = cpu();
      for (let i = 0; i < 10_000; i++) decodeJob(b);
      tn += cpu() - t;
    }
    const n = blocks * 10_000;
    console.log(`${name} job: ${rev} ${Math.round((n / to) * 1000).toLocaleString("en")}/s CPU, this tree ${Math.round((n / tn) * 1000).toLocaleString("en")}/s CPU, new/old ${(to / tn).toFixed(2)}`);
  }
} finally {
  for (const f of written) rmSync(f, { force: true });
}
