// The library Client across a NATS restart: a real nats-server stopped for ~4 s and started again on
// the same port and store, under a Client with a submit in flight.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, NatsUnreachableError, Worker, defineHandler, type ClientStatus } from "../../core/lib/index.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { eventually } from "../helpers/eventually.ts";

let ns: NatsServerHandle;
beforeAll(async () => {
  ns = await startNatsServer();
});
afterAll(async () => {
  await ns.cleanup();
});

const slow = defineHandler<{ ms: number }, string>({
  handle: async ({ ms }, ctx) => {
    await new Promise((r) => setTimeout(r, ms));
    return `slept ${ms} in ${ctx.id}`;
  },
});

describe("library Client and a NATS restart", () => {
  test("a submit in flight across a 4 s NATS outage gets its result; status() tells disconnect and reconnect; calls work after", async () => {
    const worker = new Worker({ nats: ns.url, handlers: { slow }, concurrency: 2, logger: {} });
    await worker.start();
    const seen: ClientStatus[] = [];
    const client = new Client({ nats: ns.url, waitMs: 90_000, onStatus: (s) => seen.push(s) });
    const iterated: string[] = [];
    try {
      await client.job("nothing-yet"); // connects
      const it = (async () => {
        for await (const s of client.status()) {
          iterated.push(s.type);
          if (s.type === "reconnect") break;
        }
      })();
      const inFlight = client.submit<string>("slow", { ms: 2_500 }, { id: "across-restart" });
      await eventually(() => worker.stats().inFlight.length === 1, 20_000, "the job to start");
      await ns.stop();
      // the handler finishes while NATS is away; its result is published once NATS is back
      await Bun.sleep(4_000);
      await ns.restart();
      const r = await inFlight;
      expect(r).toMatchObject({ ok: true, id: "across-restart", value: "slept 2500 in across-restart" });
      await it;
      expect(seen.map((s) => s.type)).toContain("disconnect");
      expect(seen.map((s) => s.type)).toContain("reconnect");
      expect(iterated).toContain("disconnect");
      expect(iterated.at(-1)).toBe("reconnect");
      // the same Client goes on working: no ClosedConnectionError after the outage
      expect(await client.job("across-restart")).toMatchObject({ state: "done" });
      const again = await client.submit<string>("slow", { ms: 10 });
      expect(again.ok).toBe(true);
    } finally {
      await client.close();
      await worker.close();
    }
  }, 120_000);

  test("a wait fails with NATS_UNREACHABLE once NATS stays away past the grace; the Client works again when it is back", async () => {
    const client = new Client({ nats: ns.url, waitMs: 120_000, unreachableGraceMs: 2_000 });
    try {
      await client.job("connect-first");
      // no worker serves "slow" now: the job waits queued while NATS goes away and stays away
      const inFlight = client.submit("slow", { ms: 10 }, { id: "stays-away" }).then(
        () => undefined,
        (e) => e,
      );
      await eventually(async () => (await client.job("stays-away"))?.state === "queued", 20_000, "the job to be queued");
      const t0 = Date.now();
      await ns.stop();
      const err = await inFlight;
      expect(err).toBeInstanceOf(NatsUnreachableError);
      expect(err.code).toBe("NATS_UNREACHABLE");
      expect(err.missing).toEqual(["stays-away"]);
      expect(err.message).toContain("client.result(id)");
      // failed after the grace, long before the 120 s wait
      expect(Date.now() - t0).toBeLessThan(60_000);
      const call = await client.job("stays-away").then(
        () => undefined,
        (e) => e,
      );
      expect(call).toBeInstanceOf(NatsUnreachableError);
      await ns.restart();
      const worker = new Worker({ nats: ns.url, handlers: { slow }, logger: {} });
      await worker.start();
      try {
        const r = await eventually(() => client.result<string>("stays-away"), 30_000, "the result after NATS came back");
        expect(r.ok).toBe(true);
      } finally {
        await worker.close();
      }
    } finally {
      await client.close();
    }
  }, 120_000);
});
