// `docctl status`: a named worker that is not live is an error; handlers idle and workerless beyond
// --forget-after are left out, handlers with work never are.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { ensureHandlers } from "../../core/runtime/nats/topology.ts";
import { isForgotten, type HandlerOverview } from "../../core/runtime/client/handlers.ts";
import { docctl } from "../helpers/cli.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
beforeAll(async () => {
  ns = await startNatsServer();
  const nc = await connectNats({ url: ns.url });
  await ensureHandlers(nc, ["retired", "busy"]);
  await nc.close();
  const q = await docctl(["submit", "-", "--no-wait", "--nats", ns.url], { stdin: JSON.stringify({ handler: "busy", payload: 1 }) });
  expect(q.code).toBe(0);
});
afterAll(async () => {
  await ns.cleanup();
});

test("docctl status nosuch: exit 2, names the worker and says which are live", async () => {
  const r = await docctl(["status", "nosuch", "--nats", ns.url]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(`docctl status: no live worker "nosuch" (no worker is live); \`docctl status\` lists them\n`);
});

test("a handler idle and workerless beyond --forget-after is left out; one with jobs waiting stays", async () => {
  const names = async (forget: string) => {
    const r = await docctl(["status", "--json", "--forget-after", forget, "--nats", ns.url]);
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { handlers: { handler: string; lag: number }[] }).handlers.map((h) => h.handler);
  };
  expect(await names("1h")).toEqual(["busy", "retired"]);
  // everything here is older than 1ms: only the handler with a job waiting is kept
  expect(await names("1ms")).toEqual(["busy"]);
  const text = await docctl(["status", "--forget-after", "1ms", "--nats", ns.url]);
  expect(text.stdout).toMatch(/^busy\s+1\s+0\s+1$/m);
  expect(text.stdout).not.toMatch(/^retired/m);
  expect(text.stdout).toContain("1 handler(s) idle and without a worker for over 1ms not shown (--forget-after; docctl handlers lists them all)");
  const json = await docctl(["status", "--json", "--forget-after", "1ms", "--nats", ns.url]);
  expect(JSON.parse(json.stdout).forgotten).toEqual(["retired"]);
  // only hidden: docctl handlers still lists it
  const h = await docctl(["handlers", "--json", "--nats", ns.url]);
  expect((JSON.parse(h.stdout).handlers as HandlerOverview[]).map((x) => x.name)).toContain("retired");
});

test("--forget-after must be a duration", async () => {
  const r = await docctl(["status", "--forget-after", "soon", "--nats", ns.url]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`--forget-after: must be a duration`);
});

test("forgetting (pure): lag or a live worker keep a handler; otherwise the latest sign of life counts", () => {
  const h = (o: Partial<HandlerOverview>): HandlerOverview => ({
    name: "x", source: "worker", updated_at: 1000, workers: [], pending: 0, in_flight: 0, lag: 0, consumer: true, last_active: 2000, ...o,
  });
  expect(isForgotten(h({}), 2000 + 5001, 5000)).toBe(true);
  expect(isForgotten(h({}), 2000 + 5000, 5000)).toBe(false);
  expect(isForgotten(h({ updated_at: 6000 }), 7001, 5000)).toBe(false);
  expect(isForgotten(h({ lag: 1 }), 1e12, 5000)).toBe(false);
  expect(isForgotten(h({ workers: ["w1"] }), 1e12, 5000)).toBe(false);
});
