// `docctl limit set` on the compiled binary: a handler the fleet does not know is refused like at
// submit (a limit on a misspelt name held nothing, silently), --create takes it, a known one is taken.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { docctl } from "../helpers/cli.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { declareHandlers } from "../../core/runtime/nats/handlers.ts";

let ns: NatsServerHandle;
beforeAll(async () => {
  ns = await startNatsServer();
});
afterAll(async () => {
  await ns?.cleanup();
});

test("limit set refuses an unknown handler with what to do, takes it with --create, and takes a known one", async () => {
  const env = { DOCCTL_NATS_URL: ns.url };
  // what a manager does at start: the handler is known before any worker ran
  const nc = await connectNats({ url: ns.url });
  await declareHandlers(nc, [{ v: 1, name: "title", source: "manager", registered_by: "test", updated_at: Date.now() }]);
  await nc.close();

  const typo = await docctl(["limit", "set", "titel", "--rate", "5/s"], { env });
  expect(typo.code).toBe(2);
  expect(typo.stderr).toContain(`unknown handler "titel": no worker or manager has registered it (known: title), so a limit on it would hold nothing`);
  expect(typo.stderr).toContain("--create");
  const none = await docctl(["limit", "ls", "--json"], { env });
  expect(JSON.parse(none.stdout)).toEqual([]); // nothing was stored

  const known = await docctl(["limit", "set", "title", "--rate", "100/h"], { env });
  expect({ code: known.code, out: known.stdout.trim() }).toEqual({ code: 0, out: "title: rate 100/h" });

  const ahead = await docctl(["limit", "set", "later", "--concurrency", "2", "--create"], { env });
  expect({ code: ahead.code, out: ahead.stdout.trim() }).toEqual({ code: 0, out: "later: concurrency 2" });
  const all = await docctl(["limit", "ls", "--json"], { env });
  expect(JSON.parse(all.stdout)).toMatchObject([{ handler: "later", concurrency: 2 }, { handler: "title", rate: { count: 100, per_ms: 3_600_000 } }]);
}, 120_000);
