// Decoded images are held within the proc's render memory budget: batches of 6300x6300 16-bit PNGs
// given as data URLs (each about 160 MB decoded), with the proc's RSS read from /proc after each batch.
// Before the budget the image cache kept 64 entries whatever their size, and RSS grew by every batch.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, ROOT, type Background } from "../helpers/cli.ts";
import { bigPng16, makePng } from "../helpers/png.ts";

let nats: NatsServerHandle;
let worker: Background;
const dir = tempDir("docctl-render-memory-");
const env = () => ({ DOCCTL_NATS_URL: nats.url });

// One job at a time: a decode holds the proc's event loop for many seconds on a loaded machine, and a
// second job's document upload (object store) waiting behind it times out.
beforeAll(async () => {
  // the PNGs are about 1 MB each (their rows deflate about 230:1), over the default 1 MB max_payload
  nats = await startNatsServer({ config: "max_payload: 8MB" });
  worker = spawnDocctl(["worker", "--procs", "1", "--concurrency", "1", "--handlers", "pdf", "--render-memory", "64MB", "--timeout", "5m", "-vv"], { env: env() });
  await worker.waitFor(/proc-1 \(pid \d+\) ready/, 60_000);
  const layout = { fields: [{ kind: "image", field: "img", page: 1, x: 40, y: 40, width: 300, height: 300 }] };
  writeFileSync(join(dir.path, "layout.json"), JSON.stringify(layout));
  const put = await docctl(["template", "put", "big-image", join(ROOT, "examples/invoice/base.pdf"), "--layout", join(dir.path, "layout.json")], { env: env() });
  expect(put.stderr).toBe("");
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await nats?.cleanup();
  dir.cleanup();
});

function rssMb(pid: string): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

test("batches of 6300x6300 16-bit PNG data URLs: every job ok, the proc's RSS does not grow batch after batch", async () => {
  const pid = /proc-1 \(pid (\d+)\) ready/.exec(worker.output())![1]!;
  // the template is fetched and cached first: a decode blocks the proc's event loop for seconds on a
  // loaded machine, and a template download waiting behind it can time out
  const small = `data:image/png;base64,${Buffer.from(makePng(4, 4, () => [1, 2, 3, 255])).toString("base64")}`;
  const warm = await docctl(["submit", "-", "--json", "--timeout", "2m"], { env: env(), stdin: JSON.stringify({ handler: "pdf", payload: { template: "big-image", data: { img: small } } }) });
  expect(JSON.parse(warm.stdout).ok).toBe(true);
  const rss: number[] = [];
  for (let b = 0; b < 4; b++) {
    // two different images per batch, never seen before
    const imgs = await Promise.all([0, 1].map(async (i) => `data:image/png;base64,${Buffer.from(await bigPng16(6300, 6300, b * 2 + i + 1)).toString("base64")}`));
    const file = join(dir.path, `batch-${b}.json`);
    writeFileSync(file, JSON.stringify({ handler: "pdf", batch: imgs.map((img) => ({ template: "big-image", data: { img } })) }));
    const r = await docctl(["submit", file, "--json", "--timeout", "10m"], { env: env(), timeoutMs: 600_000 });
    if (r.code !== 0) console.log(r.stderr, r.stdout.slice(0, 2000));
    const results = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(results.map((x) => x.ok)).toEqual([true, true]);
    rss.push(rssMb(pid));
  }
  console.log(`proc RSS after each batch (MB): ${rss.map((x) => Math.round(x)).join(", ")}`);
  // each batch brings 2 x 160 MB of decoded images; kept, three more batches would add about 950 MB
  expect(rss[3]! - rss[0]!).toBeLessThan(450);
  expect(Math.max(...rss)).toBeLessThan(2500);
}, 900_000);

test("an asset whose PNG claims 30000x30000 pixels is refused at template put, exit 2, saying its size", async () => {
  // a valid 1x1 PNG with its header rewritten: the file is tiny, the claim is 900 million pixels
  const png = makePng(1, 1, () => [0, 0, 0, 255]);
  const v = new DataView(png.buffer, png.byteOffset);
  v.setUint32(16, 30000);
  v.setUint32(20, 30000);
  writeFileSync(join(dir.path, "huge.png"), png);
  writeFileSync(join(dir.path, "logo-layout.json"), JSON.stringify({ fields: [{ kind: "image", asset: "logo.png", page: 1, x: 0, y: 0, width: 10, height: 10 }] }));
  const r = await docctl(["template", "put", "huge", join(ROOT, "examples/invoice/base.pdf"), "--layout", join(dir.path, "logo-layout.json"), "--asset", `logo.png=${join(dir.path, "huge.png")}`], { env: env() });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("--asset logo.png: the PNG is 30000×30000 pixels, more than 40 million");
});
