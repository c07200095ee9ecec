// The manager lease on a real nats-server: one holder, renewal, release, and expiry of a dead holder.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { Lease } from "../../core/scaler/lease.ts";
import { cleanup, setup, type NatsServerHandle } from "../helpers/nats.ts";
import { waitFor } from "./setup.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  ({ ns, nc } = await setup());
});
afterAll(async () => {
  await cleanup(ns, nc);
});

test("only one holder; the other sees who leads; release hands it over at once", async () => {
  const a = new Lease(nc, { id: "a", ttlMs: 5000, bucket: "LEASE_T1" });
  const b = new Lease(nc, { id: "b", ttlMs: 5000, bucket: "LEASE_T1" });
  await a.start();
  await b.start();
  expect(await a.tryAcquire()).toBe(true);
  expect(await b.tryAcquire()).toBe(false);
  expect(b.holder?.id).toBe("a");
  expect(await a.tryAcquire()).toBe(true); // renewal
  await a.stop();
  expect(await b.tryAcquire()).toBe(true);
  await b.stop();
});

test("a holder whose key was overwritten behind its back loses the lease (revision check)", async () => {
  const a = new Lease(nc, { id: "a", ttlMs: 5000, bucket: "LEASE_T2" });
  await a.start();
  expect(await a.tryAcquire()).toBe(true);
  const kv = await new Kvm(nc).open("LEASE_T2");
  await kv.put("leader", JSON.stringify({ id: "intruder", host: "x", pid: 1, since: "", renewed_at: "" }));
  expect(await a.tryAcquire()).toBe(false);
  expect(a.held).toBe(false);
  expect(a.holder?.id).toBe("intruder");
  await a.stop();
});

test("a holder that dies without releasing is replaced after the TTL", async () => {
  const a = new Lease(nc, { id: "a", ttlMs: 600, bucket: "LEASE_T3" });
  const b = new Lease(nc, { id: "b", ttlMs: 600, bucket: "LEASE_T3" });
  await a.start();
  await b.start();
  expect(await a.tryAcquire()).toBe(true);
  await a.stop({ release: false });
  expect(await b.tryAcquire()).toBe(false);
  await waitFor("b to take the expired lease", () => b.tryAcquire(), 5000, 100);
  await b.stop();
});
