// A handler that goes on after its TIMEOUT (busy 400 ms, await 5 ms, loop) is ended with its proc after
// the grace, logged as stuck; the job beside it comes back uncharged. A setup() that never returns is
// ended after --setup-timeout like a crash, with a log line, and the proc ends FATAL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { decodeResult, encodeJob, type JobV1, type ResultV1 } from "../../core/runtime/protocol/codec.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { spawnDocctl, eventually, type Background } from "../helpers/cli.ts";

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
const dir = tempDir("docctl-stuck-");
const workers: Background[] = [];
const note = `import { appendFileSync } from "node:fs"; const ran = (n: string, a: number) => appendFileSync(process.env.RUNS_FILE!, n + " " + a + " " + process.pid + "\\n");`;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url, reconnectForever: true });
  jsm = await jetstreamManager(nc);
  mkdirSync(join(dir.path, "plugins"));
  mkdirSync(join(dir.path, "hang"));
  // ignores its signal: busy 400 ms, yields 5 ms, again, forever
  writeFileSync(join(dir.path, "plugins", "busy.ts"), `${note}\nexport default async (_p: unknown, ctx: any) => { ran("busy", ctx.attempt); for (;;) { const end = Date.now() + 400; while (Date.now() < end) {} await Bun.sleep(5); } };`);
  writeFileSync(join(dir.path, "plugins", "nap.ts"), `${note}\nexport default async (p: { ms: number }, ctx: any) => { ran("nap", ctx.attempt); await Bun.sleep(p.ms); return "rested"; };`);
  // a setup() that never returns (synchronous: the proc's own timer cannot fire)
  writeFileSync(join(dir.path, "hang", "hang.ts"), `export default { setup() { for (;;) {} }, handle: () => 1 };`);
}, 60_000);
afterAll(async () => {
  for (const w of workers) await w.stop();
  await nc?.close();
  await nats?.cleanup();
  dir.cleanup();
});

const runs = (name: string) => (existsSync(join(dir.path, "runs.txt")) ? readFileSync(join(dir.path, "runs.txt"), "utf8").split("\n").filter((l) => l.startsWith(name + " ")) : []);
const resultOf = async (id: string): Promise<ResultV1 | undefined> => {
  const m = await jsm.streams.getMessage("DOCCTL_RESULTS", { last_by_subj: `docctl.results.${id}.${id}` }).catch(() => null);
  return m ? decodeResult(m.data) : undefined;
};
async function submit(handler: string, payload: unknown, extra: Partial<JobV1> = {}): Promise<string> {
  const id = `st-${handler}-${Date.now()}`;
  await jetstream(nc).publish(`docctl.tasks.${handler}`, encodeJob({ v: 1, id, batch: id, handler, payload, submitted_at: Date.now(), ...extra }), { msgID: id });
  return id;
}

test("a handler still running 10 s after its TIMEOUT is ended with its proc, logged as stuck; the job beside it is handed back uncharged", async () => {
  const w = spawnDocctl(["worker", "--procs", "1", "--handlers", "busy,nap", "--plugins", join(dir.path, "plugins"), "-v"], {
    env: { DOCCTL_NATS_URL: nats.url, RUNS_FILE: join(dir.path, "runs.txt") },
  });
  workers.push(w);
  await w.waitFor(/pulling/, 60_000);
  const nap = await submit("nap", { ms: 30_000 }, { attempts: 1 });
  await eventually(() => runs("nap").length === 1, 30_000, "the nap job to start");
  const busy = await submit("busy", {}, { attempts: 1, timeout_ms: 1000 });
  const r = await eventually(() => resultOf(busy), 30_000, "the busy job's TIMEOUT");
  expect(r).toMatchObject({ ok: false, attempts: 1, error: { code: "TIMEOUT" } });
  await eventually(() => /is stuck: the handler of job st-busy-\d+ \(busy\) ignored its TIMEOUT signal past the grace/.test(w.output()), 40_000, "the stuck log line");
  expect(w.output()).toMatch(/stuck: the handler ignored its TIMEOUT signal for 10000ms/);
  const oldPid = Number(runs("busy")[0]!.split(" ")[2]);
  // the proc running it is gone: the handler no longer runs anywhere
  await eventually(() => {
    try {
      process.kill(oldPid, 0);
      return false;
    } catch {
      return true;
    }
  }, 15_000, "the stuck proc to be ended");
  // the bystander comes back at once, uncharged: allowed one attempt, it still ends ok
  const n = await eventually(() => resultOf(nap), 90_000, "the nap job's result");
  expect(n).toMatchObject({ ok: true, value: "rested", attempts: 1 });
  expect(runs("nap").map((l) => l.split(" ")[1])).toEqual(["1", "1"]);
  expect(runs("busy").length).toBe(1);
  expect(await w.stop()).toBe(0);
}, 180_000);

test("a setup() that never returns: the proc is killed after --setup-timeout with a log line, restarted with backoff, then FATAL", async () => {
  const w = spawnDocctl(["worker", "--procs", "1", "--plugins", join(dir.path, "hang"), "--handlers", "hang", "--setup-timeout", "2s", "--max-fast-restarts", "2", "-v"], {
    env: { DOCCTL_NATS_URL: nats.url },
  });
  workers.push(w);
  await w.waitFor(/setup\(\) did not finish within 2000ms \(--setup-timeout\)/, 60_000);
  expect(await w.proc.exited).toBe(1);
  expect(w.output()).toMatch(/FATAL/);
}, 120_000);
