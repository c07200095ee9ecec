// A batch is enqueued all or nothing: docctl submit publishes it in atomic batches (nats-server 2.12+,
// allow_atomic) of at most 1000 jobs. A submit killed (SIGKILL) at any moment leaves 0 or all jobs of
// a batch of up to 1000, and whole chunks of 1000 of a larger one, never part of a chunk.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let dir: { path: string; cleanup(): void };
beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir();
});
afterAll(async () => {
  await nats?.cleanup();
  dir?.cleanup();
});

/** Jobs stored on docctl.tasks.<handler>. */
async function queued(handler: string): Promise<number> {
  const nc = await connectNats({ url: nats.url });
  try {
    const si = await (await jetstreamManager(nc)).streams.info("DOCCTL_TASKS", { subjects_filter: `docctl.tasks.${handler}` }).catch(() => null);
    return si?.state.subjects?.[`docctl.tasks.${handler}`] ?? 0;
  } finally {
    await nc.close();
  }
}

function batchFile(handler: string, n: number): string {
  const p = join(dir.path, `${handler}.json`);
  // payloads of ~1 KB: the publishing takes long enough to be killed in the middle
  writeFileSync(p, JSON.stringify({ handler, batch: Array.from({ length: n }, (_, i) => ({ i, pad: "x".repeat(1000) })) }));
  return p;
}

test("a submit killed mid-batch leaves 0 or all of a 1000-job batch", async () => {
  const seen: number[] = [];
  for (const [k, delay] of [300, 600, 900, 1200, 1500, 1800, 2200, 2600].entries()) {
    const h = `atom${k}`;
    const f = batchFile(h, 1000);
    const s = spawnDocctl(["submit", "--no-wait", "--create", f], { env: { DOCCTL_NATS_URL: nats.url } });
    await Bun.sleep(delay);
    s.proc.kill("SIGKILL");
    await s.proc.exited;
    await Bun.sleep(300); // a commit on its way is stored or refused by now
    const n = await queued(h);
    seen.push(n);
    expect([0, 1000]).toContain(n);
  }
  console.log(`jobs stored after each kill: ${seen.join(", ")}`);
}, 120_000);

test("a bigger batch is enqueued in whole chunks of 1000; submitted again with its ids, it is completed", async () => {
  const h = "atombig";
  const f = join(dir.path, "big.json");
  writeFileSync(f, JSON.stringify({ handler: h, id: "big", batch: Array.from({ length: 2500 }, (_, i) => ({ i, pad: "x".repeat(1000) })) }));
  const s = spawnDocctl(["submit", "--no-wait", "--create", f], { env: { DOCCTL_NATS_URL: nats.url } });
  await Bun.sleep(700);
  s.proc.kill("SIGKILL");
  await s.proc.exited;
  await Bun.sleep(300);
  const n = await queued(h);
  expect([0, 1000, 2000, 2500]).toContain(n);
  // the same batch again (same ids): what was stored is a duplicate, the rest is added
  const again = await docctl(["submit", "--no-wait", "--create", f], { env: { DOCCTL_NATS_URL: nats.url } });
  expect(again.code).toBe(0);
  expect(await queued(h)).toBe(2500);
}, 120_000);
