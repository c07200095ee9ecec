// Scale from zero on a fresh install: a fresh nats-server and only a manager told about plugin directories.
// A job for a plugin handler is accepted, the manager starts a worker for it, and its result comes back.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docctl, eventually, spawnDocctl, type Background } from "../helpers/cli.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import type { HandlerOverview } from "../../core/runtime/client/handlers.ts";

let ns: NatsServerHandle;
let manager: Background;
const dir = tempDir("docctl-zero-");
const a = join(dir.path, "plugins-a");
const b = join(dir.path, "plugins-b");

beforeAll(async () => {
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(
    join(a, "report.ts"),
    `export default {
  description: "sums the numbers of a report",
  schema: { type: "object", required: ["numbers"], properties: { numbers: { type: "array", items: { type: "number" } } } },
  handle: (p: { numbers: number[] }) => ({ total: p.numbers.reduce((x, y) => x + y, 0) }),
};\n`,
  );
  writeFileSync(join(b, "shout.ts"), `export default (p: { text: string }) => p.text.toUpperCase();\n`);
  ns = await startNatsServer();
  // The spaced --worker-args form, two plugin directories (comma), min 0: no worker runs until a job waits.
  manager = spawnDocctl(
    ["manager", "--provider", "local", "--min", "0", "--max", "2", "--interval", "200ms", "--idle", "1m", "--jobs-per-worker", "5",
      "--worker-args", `--plugins ${a},${b} --procs 1`, "--nats", ns.url],
    { cwd: dir.path },
  );
  await manager.waitFor(/handlers known to the fleet: .*report/);
});

afterAll(async () => {
  await manager?.stop();
  await ns?.cleanup();
  dir.cleanup();
});

const handlers = async (): Promise<HandlerOverview[]> => {
  const r = await docctl(["handlers", "--json", "--nats", ns.url]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { handlers: HandlerOverview[] }).handlers;
};

test("before any worker ran, docctl handlers lists the plugin handlers the manager declared, served by nobody", async () => {
  const hs = await handlers();
  expect(hs.map((h) => h.name)).toEqual(["echo", "pdf", "report", "shout", "title"]);
  const report = hs.find((h) => h.name === "report")!;
  expect(report).toMatchObject({ source: "manager", workers: [], lag: 0, consumer: true });
  expect(hs.find((h) => h.name === "title")!.description).toContain("title");
  const text = await docctl(["handlers", "--nats", ns.url]);
  expect(text.stdout).toMatch(/^HANDLER\s+WORKERS\s+WAITING\s+IN FLIGHT\s+DESCRIPTION$/m);
  expect(text.stdout).toMatch(/^report\s+-\s+0\s+0\s+\(declared by the manager/m);
});

test("a job for a plugin handler is accepted, a worker is started for it, and its result arrives", async () => {
  const r = await docctl(["submit", "-", "--json", "--timeout", "45s", "--nats", ns.url], {
    stdin: JSON.stringify({ handler: "report", id: "r-1", payload: { numbers: [1, 2, 39] } }),
  });
  expect(r.stderr).not.toContain("unknown handler");
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ id: "r-1", ok: true, value: { total: 42 } });
  expect(manager.output()).toMatch(/created 1 server/);
  const shout = await docctl(["submit", "-", "--json", "--timeout", "45s", "--nats", ns.url], { stdin: JSON.stringify({ handler: "shout", payload: { text: "hi" } }) });
  expect(JSON.parse(shout.stdout)).toMatchObject({ ok: true, value: "HI" });
});

test("once a worker serves it, docctl handlers shows that worker and the description the plugin gives", async () => {
  const report = await eventually(async () => (await handlers()).find((h) => h.name === "report" && h.workers.length === 1), 20_000, "a live worker serving report");
  expect(report.workers[0]).toMatch(/^local-/);
  expect(report).toMatchObject({ source: "worker", description: "sums the numbers of a report", schema: { required: ["numbers"] } });
  const text = await docctl(["handlers", "--nats", ns.url]);
  expect(text.stdout).toMatch(new RegExp(`^report\\s+${report.workers[0]}\\s+0\\s+0\\s+sums the numbers of a report$`, "m"));
});

test("a handler nobody registered is refused with the known ones, unless --create", async () => {
  const r = await docctl(["submit", "-", "--nats", ns.url], { stdin: JSON.stringify({ handler: "reprot", payload: {} }) });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`unknown handler "reprot": no worker or manager has registered it (known: echo, pdf, report, shout, title)`);
  expect(r.stderr).toContain("--create");
  const c = await docctl(["submit", "-", "--create", "--no-wait", "--nats", ns.url], { stdin: JSON.stringify({ handler: "later", id: "later-1", payload: {} }) });
  expect(c.code).toBe(0);
  expect(c.stdout.trim()).toBe("later-1");
});
