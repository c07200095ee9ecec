// The job index's write side against a real server: a final entry replaces the job's queued entry by
// purging that one subject, and falls back to the id's wildcard purge when that subject held nothing
// (no entry was written for the job, or it was in another state), so the id keeps one entry either way.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { setup, cleanup, type NatsServerHandle } from "../helpers/nats.ts";
import { ensureStreams, topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { JobIndexWriter } from "../../core/runtime/nats/job-index.ts";
import { STREAM_JOBS, jobEntryFilter, type JobEntryV1 } from "../../core/runtime/protocol/job-entry.ts";

let ns: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let index: JobIndexWriter;

beforeAll(async () => {
  ({ ns, nc } = await setup());
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, topologyDefaults);
  index = new JobIndexWriter(nc, { keepResultMs: 60_000, keepFailedMs: 60_000, keepDeadMs: 60_000 });
});
afterAll(async () => {
  index?.close();
  await cleanup(ns, nc);
});

const entry = (id: string, state: JobEntryV1["state"]): JobEntryV1 => ({ v: 1, id, batch: "b1", handler: "echo", state, at: Date.now() });
/** the subjects holding entries of job `id` */
async function subjectsOf(id: string): Promise<string[]> {
  const info = await jsm.streams.info(STREAM_JOBS, { subjects_filter: jobEntryFilter({ id }) });
  return Object.keys(info.state.subjects ?? {}).sort();
}

describe("job index writes", () => {
  test("done after a first delivery replaces the queued entry: one entry, the done one", async () => {
    await index.added(entry("j1", "queued"));
    expect(await subjectsOf("j1")).toEqual(["docctl.jobs.queued.echo.j1.b1"]);
    await index.moved(entry("j1", "done"), undefined, "queued");
    expect(await subjectsOf("j1")).toEqual(["docctl.jobs.done.echo.j1.b1"]);
  });

  test("the queued subject held nothing (a retrying entry was there): the wildcard purge still leaves one entry", async () => {
    await index.moved(entry("j2", "retrying"));
    expect(await subjectsOf("j2")).toEqual(["docctl.jobs.retrying.echo.j2.b1"]);
    await index.moved(entry("j2", "done"), undefined, "queued");
    expect(await subjectsOf("j2")).toEqual(["docctl.jobs.done.echo.j2.b1"]);
  });

  test("a job with no entry (a foreign submitter wrote none) ends with its final entry only", async () => {
    await index.moved(entry("j3", "failed"), undefined, "queued");
    expect(await subjectsOf("j3")).toEqual(["docctl.jobs.failed.echo.j3.b1"]);
    // a late queued entry from the submitter is refused: the job already has a newer one
    await index.added(entry("j3", "queued")).catch(() => {});
    expect(await subjectsOf("j3")).toEqual(["docctl.jobs.failed.echo.j3.b1"]);
  });

  test("without a known earlier state the wildcard purge is used", async () => {
    await index.added(entry("j4", "queued"));
    await index.moved(entry("j4", "cancelled"));
    expect(await subjectsOf("j4")).toEqual(["docctl.jobs.cancelled.echo.j4.b1"]);
  });
});
