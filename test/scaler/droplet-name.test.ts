// A droplet's worker names itself do-<droplet id> from the metadata service (a fake on 127.0.0.1 here),
// asking again while the service fails or is slow at first boot: the compiled `docctl worker --name-from digitalocean`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { spawnDocctl, eventually } from "../helpers/cli.ts";
import { listWorkers } from "../../core/runtime/client/fleet.ts";
import { dropletWorkerName } from "../../core/scaler/providers/droplet-name.ts";
import { silentLogger } from "../../core/runtime/util/log.ts";
import { captureLogger } from "../helpers/log.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => ({ ns, nc } = await setup()));
afterAll(async () => cleanup(ns, nc));

/** A metadata service that fails `failures` times (503, then a hang past the request limit), then answers the id. */
function fakeMetadata(id: string, failures: number) {
  let calls = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      if (new URL(req.url).pathname !== "/metadata/v1/id") return new Response("not found", { status: 404 });
      calls++;
      if (calls <= failures) {
        if (calls % 2 === 0) await Bun.sleep(3_000); // slower than one request's limit
        return new Response("starting", { status: 503 });
      }
      return new Response(`${id}\n`);
    },
  });
  return { url: `http://127.0.0.1:${server.port}/metadata/v1/id`, calls: () => calls, stop: () => server.stop(true) };
}

test("the name comes from the metadata service, asked again after failures and a request that hangs", async () => {
  const md = fakeMetadata("987654", 3);
  const log = captureLogger({ verbosity: 0, show: (e) => e.msg });
  const warnings = log.lines;
  try {
    const name = await dropletWorkerName(log, { url: md.url, requestTimeoutMs: 1000, backoff: { initialMs: 50, factor: 2, maxMs: 200, jitter: 0 } });
    expect(name).toBe("do-987654");
    expect(md.calls()).toBe(4);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain("HTTP 503");
    expect(warnings[1]).toContain("no answer within 1000ms");
  } finally {
    md.stop();
  }
  // a service that never answers: a clear error after the bound, naming what is missing
  const never = fakeMetadata("1", 1_000_000);
  try {
    await expect(dropletWorkerName(silentLogger(), { url: never.url, requestTimeoutMs: 500, timeoutMs: 1500, backoff: { initialMs: 100, factor: 1, maxMs: 100, jitter: 0 } })).rejects.toThrow(/could not read this droplet's id .* within 2s .*do-<droplet id>/);
  } finally {
    never.stop();
  }
}, 30_000);

test("docctl worker --name-from digitalocean registers as do-<droplet id> once the metadata service answers", async () => {
  const md = fakeMetadata("4242", 2);
  const w = spawnDocctl(["worker", "--name-from", "digitalocean", "--procs", "1"], { env: { DOCCTL_NATS_URL: ns.url, DOCCTL_METADATA_URL: md.url } });
  try {
    await eventually(async () => (await listWorkers(nc)).find((p) => p.id === "do-4242"), { timeoutMs: 45_000 }, "worker do-4242 registered");
    expect(w.output()).toContain("HTTP 503");
    expect(md.calls()).toBe(3);
    // --name and --name-from together are a usage error
    const both = spawnDocctl(["worker", "--name", "x", "--name-from", "digitalocean"], { env: { DOCCTL_NATS_URL: ns.url } });
    expect(await both.proc.exited).toBe(2);
    expect(both.output()).toContain("--name and --name-from both given");
  } finally {
    await w.stop();
    md.stop();
  }
}, 60_000);
