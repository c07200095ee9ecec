// Map-reduce title batches through the compiled binary: spread over workers, in input order, failures reported.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, spawnDocctl, type Background } from "../helpers/cli.ts";
import { startSites, demoPaths } from "../../examples/sites.ts";

let nats: NatsServerHandle;
let workers: Background[] = [];
let sites: ReturnType<typeof startSites>;
const dir = tempDir();
const env = () => ({ DOCCTL_NATS_URL: nats.url });

beforeAll(async () => {
  nats = await startNatsServer();
  sites = startSites({ port: 0, delayMs: 150 });
  // Two workers, one job at a time each: a batch must be spread over both.
  workers = [1, 2].map((i) => spawnDocctl(["worker", "--name", `w${i}`, "--handlers", "title", "--concurrency", "1", "--allow-private-fetch", "-v"], { env: env() }));
  await Promise.all(workers.map((w) => w.waitFor(/pulling/)));
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await sites.stop();
  await nats.cleanup();
  dir.cleanup();
});

const batchFile = (name: string, paths: string[]) => {
  const p = join(dir.path, name);
  writeFileSync(p, JSON.stringify({ handler: "title", batch: paths.map((x) => ({ url: `${sites.url}${x}` })) }));
  return p;
};

test("a title batch comes back in input order, decoded, spread over every worker", async () => {
  const r = await docctl(["submit", batchFile("titles.json", demoPaths), "--json"], { env: env() });
  expect(r.code).toBe(0);
  const results = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  expect(results.map((x) => new URL(x.value.url).pathname)).toEqual(demoPaths);
  const byPath = Object.fromEntries(results.map((x) => [new URL(x.value.url).pathname, x.value.title]));
  expect(byPath["/linuxfr"]).toBe("LinuxFr.org : l'actualité du logiciel libre");
  expect(byPath["/novosti"]).toBe("Новости дня");
  expect(byPath["/danstonchat"]).toBe("Dans ton chat – Citations à la crème");
  expect(new Set(results.map((x) => x.worker))).toEqual(new Set(["w1", "w2"]));
});

test("a failed fetch is reported beside the others, and the exit code says so", async () => {
  const r = await docctl(["submit", batchFile("some-fail.json", ["/slashdot", "/nope", "/flickr"])], { env: env() });
  expect(r.code).toBe(1);
  const lines = r.stdout.trim().split("\n");
  expect(lines).toHaveLength(3);
  expect(lines[1]).toContain("FETCH_HTTP_4XX");
  expect(lines[2]).toContain("Flickr");
  expect(r.stderr).toContain("2 ok, 1 failed");
});

test("--fail-fast stops waiting at the first failure", async () => {
  const r = await docctl(["submit", batchFile("fast.json", ["/nope", ...demoPaths, ...demoPaths]), "--fail-fast", "--json"], { env: env() });
  expect(r.code).toBe(1);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  expect(lines.some((l) => l.error?.code === "FETCH_HTTP_4XX")).toBe(true);
  expect(lines.length).toBeLessThan(1 + 2 * demoPaths.length);
});

test("without --allow-private-fetch a loopback URL is refused with FETCH_BLOCKED, not retried", async () => {
  const guarded = spawnDocctl(["worker", "--name", "guarded", "--handlers", "title", "-v"], { env: env() });
  await guarded.waitFor(/pulling/);
  // Pause the permissive workers' share by sending enough jobs: at least one lands on the guarded worker.
  const r = await docctl(["submit", batchFile("guard.json", Array(12).fill("/slashdot")), "--json"], { env: env() });
  await guarded.stop();
  const results = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const blocked = results.filter((x) => x.worker === "guarded");
  expect(blocked.length).toBeGreaterThan(0);
  for (const b of blocked) expect(b).toMatchObject({ ok: false, attempts: 1, error: { code: "FETCH_BLOCKED", retryable: false } });
});
