// `docctl submit` streaming through the compiled binary: results printed in input order as they come,
// documents written to --out as they arrive, and no more than --window jobs submitted ahead.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let worker: Background;
const dir = tempDir();
const env = () => ({ DOCCTL_NATS_URL: nats.url });

// Plugins as docs/plugins.md describes them. `overlap` counts how many of a batch's jobs run at once
// in this proc (later jobs of each ten finish first); `doc` returns a small document per job.
const PLUGINS: Record<string, string> = {
  "overlap.ts": `const running = new Map<string, number>(); const most = new Map<string, number>();
export default async (p: { i: number }, ctx: any) => {
  const now = (running.get(ctx.batch) ?? 0) + 1; running.set(ctx.batch, now);
  most.set(ctx.batch, Math.max(most.get(ctx.batch) ?? 0, now));
  await new Promise((r) => setTimeout(r, 4 + (9 - (p.i % 10)) * 2));
  running.set(ctx.batch, running.get(ctx.batch)! - 1);
  return { i: p.i, most: most.get(ctx.batch) };
};`,
  "doc.ts": `export default async (p: { i: number }, ctx: any) => {
  await new Promise((r) => setTimeout(r, (7 - (p.i % 7)) * 2));
  await ctx.output(new TextEncoder().encode("document " + p.i), { filename: "d-" + p.i + ".txt", contentType: "text/plain" });
  return p.i;
};`,
};

beforeAll(async () => {
  nats = await startNatsServer();
  mkdirSync(join(dir.path, "plugins"));
  for (const [f, src] of Object.entries(PLUGINS)) writeFileSync(join(dir.path, "plugins", f), src);
  worker = spawnDocctl(["worker", "--procs", "1", "--plugins", join(dir.path, "plugins"), "--concurrency", "32", "-v"], { env: env() });
  await worker.waitFor(/pulling/);
});

afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  dir.cleanup();
});

const file = (name: string, body: unknown) => {
  const p = join(dir.path, name);
  writeFileSync(p, JSON.stringify(body));
  return p;
};

const lines = (stdout: string) => stdout.trim().split("\n").map((l) => JSON.parse(l));

test("a batch's results are printed in input order although they finish out of order", async () => {
  const n = 120;
  const r = await docctl(["submit", file("order.json", { handler: "overlap", id: "order", batch: Array.from({ length: n }, (_, i) => ({ i })) }), "--json"], { env: env() });
  expect(r.code).toBe(0);
  const out = lines(r.stdout);
  expect(out.map((x) => x.id)).toEqual(Array.from({ length: n }, (_, i) => `order-${i}`));
  expect(out.map((x) => x.value.i)).toEqual(Array.from({ length: n }, (_, i) => i));
  // the jobs did overlap (so arrival order really differed from input order)
  expect(Math.max(...out.map((x) => x.value.most))).toBeGreaterThan(4);
});

test("an array of jobs prints its results in input order too", async () => {
  const jobs = Array.from({ length: 30 }, (_, i) => ({ handler: "overlap", payload: { i }, id: `list-${i}` }));
  const r = await docctl(["submit", file("list.json", jobs), "--json"], { env: env() });
  expect(r.code).toBe(0);
  expect(lines(r.stdout).map((x) => x.id)).toEqual(jobs.map((j) => j.id));
});

test("--window N: never more than N jobs of the batch submitted ahead, so never more running", async () => {
  const batch = (id: string) => file(`${id}.json`, { handler: "overlap", id, batch: Array.from({ length: 60 }, (_, i) => ({ i })) });
  const narrow = await docctl(["submit", batch("narrow"), "--json", "--window", "3"], { env: env() });
  expect(narrow.code).toBe(0);
  const n = lines(narrow.stdout);
  expect(n.map((x) => x.value.i)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  expect(Math.max(...n.map((x) => x.value.most))).toBeLessThanOrEqual(3);
  // the same batch with a wide window runs many at once in the same worker: the limit above was the window's
  const wide = await docctl(["submit", batch("wide"), "--json", "--window", "60"], { env: env() });
  expect(wide.code).toBe(0);
  expect(Math.max(...lines(wide.stdout).map((x) => x.value.most))).toBeGreaterThan(3);
});

test("--out writes every document as it arrives; the printed results name their files, in input order", async () => {
  const out = join(dir.path, "docs");
  const n = 40;
  const r = await docctl(["submit", file("docs.json", { handler: "doc", id: "docs", batch: Array.from({ length: n }, (_, i) => ({ i })) }), "--out", out, "--json", "--window", "8"], { env: env() });
  expect(r.code).toBe(0);
  const res = lines(r.stdout);
  expect(res.map((x) => x.value)).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(res.map((x) => x.saved_to)).toEqual(Array.from({ length: n }, (_, i) => join(out, `d-${i}.txt`)));
  // the bytes are on disk, not in the printed line
  expect(res.every((x) => x.output.data === undefined)).toBe(true);
  expect(readdirSync(out).sort()).toEqual(Array.from({ length: n }, (_, i) => `d-${i}.txt`).sort());
  for (let i = 0; i < n; i++) expect(readFileSync(join(out, `d-${i}.txt`), "utf8")).toBe(`document ${i}`);
});

test("a job over the server's size limit in the middle of a file: refused before anything is submitted", async () => {
  const jobs = [{ handler: "overlap", payload: { i: 0 }, id: "pre-0" }, { handler: "overlap", payload: { i: 1, pad: "x".repeat(1_100_000) }, id: "pre-1" }];
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  const before = (await jsm.streams.info("DOCCTL_TASKS")).state.last_seq;
  const r = await docctl(["submit", file("toobig.json", jobs)], { env: env() });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`job [1] ("pre-1") is`);
  // not one message reached the tasks stream
  expect((await jsm.streams.info("DOCCTL_TASKS")).state.last_seq).toBe(before);
  await nc.close();
});
