// Submitting jobs and collecting their results (in input order), usable from code and from the CLI.
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeResult, encodeJob, type JobV1, type ResultV1 } from "../protocol/codec.ts";
import { InputError, isTransientNatsError } from "../protocol/errors.ts";
import type { PlannedJob, SubmitPlan } from "./jobfile.ts";
import { newId } from "./jobfile.ts";
import { STREAM_RESULTS, taskSubject } from "../protocol/subjects.ts";
import { natsPublishBackoff, retrying } from "../util/backoff.ts";
import { ensureStreams, topologyDefaults, type TopologyOptions } from "../nats/topology.ts";
import { knownHandlerNames } from "../nats/handlers.ts";

export interface SubmitOptions {
  /** wait for the results (default true); false = fire and forget */
  wait?: boolean;
  /** give up waiting after this many ms (default 5 min) */
  timeoutMs?: number;
  /** write documents named by results into this directory */
  outDir?: string;
  /** stop waiting at the first failed result */
  failFast?: boolean;
  /** called as results arrive */
  onProgress?(p: { done: number; failed: number; total: number }): void;
  /** called for each result as it arrives (arrival order) */
  onResult?(r: CollectedResult, index: number): void;
  /** queue jobs for handlers the fleet does not know yet (no worker or manager registered them); default false: refused as a likely typo */
  create?: boolean;
  /** stream limits to create the streams with, when they do not exist yet */
  topology?: Partial<TopologyOptions>;
}

/** A result, plus where its document was written. */
export type CollectedResult = ResultV1 & { saved_to?: string; save_error?: string };

export interface SubmitOutcome {
  batch: string;
  ids: string[];
  /** in input order; undefined where no result came in time */
  results: (CollectedResult | undefined)[];
  /** jobs JetStream had seen before inside the duplicate window (not run again) */
  duplicates: number;
  timedOut: boolean;
}

export const submitDefaults = { wait: true, timeoutMs: 5 * 60_000, publishWindow: 256 };

/** Publish every job of `plan` (deduplicated by id) and, unless told not to, wait for their results. */
export async function submitPlan(nc: NatsConnection, plan: SubmitPlan, opts: SubmitOptions = {}): Promise<SubmitOutcome> {
  const wait = opts.wait ?? submitDefaults.wait;
  const timeoutMs = opts.timeoutMs ?? submitDefaults.timeoutMs;
  const jsm = await jetstreamManager(nc);
  // Create-only: a submitter must not reconfigure streams a worker set up (replicas, retention).
  await ensureStreams(jsm, { ...topologyDefaults, ...opts.topology }, { createOnly: true });
  // A handler the fleet knows (recorded by a worker or a manager) is accepted even with no worker
  // running: the job waits and a manager scales up for it. One nobody knows is most likely a typo.
  if (!opts.create) {
    const known = await knownHandlerNames(nc);
    for (const h of new Set(plan.jobs.map((j) => j.handler))) {
      if (!known.includes(h)) {
        throw new InputError(
          `unknown handler "${h}": no worker or manager has registered it (known: ${known.join(", ") || "none yet, start a worker"}). ` +
            `Check the name; or start a worker that has it (plugins: docctl worker --plugins DIR), tell the manager (docctl manager --handlers ${h}), ` +
            `or submit with --create to queue it anyway.`,
        );
      }
    }
  }
  const now = Date.now();
  const encoded = plan.jobs.map((j) => encodeJob(toJob(j, plan.batch, now)));
  const max = nc.info?.max_payload ?? 1024 * 1024;
  encoded.forEach((b, i) => {
    if (b.byteLength + 512 > max) {
      throw new InputError(
        `job [${i}] ("${plan.jobs[i]!.id}") is ${b.byteLength} bytes encoded, over the server's limit of ${max} bytes. ` +
          `Put large inputs in the object store (templates) and send a reference, or raise max_payload on the server.`,
      );
    }
  });

  const js = jetstream(nc);
  const index = new Map(plan.jobs.map((j, i) => [j.id, i]));
  const results: (CollectedResult | undefined)[] = Array.from({ length: plan.jobs.length }, () => undefined);
  const savedNames = new Set<string>();
  let done = 0;
  let failed = 0;
  let finish!: () => void;
  const allIn = new Promise<void>((r) => (finish = r));
  const accept = async (r: ResultV1) => {
    const i = index.get(r.id);
    if (i === undefined || results[i]) return; // not ours, or a duplicate result: the first one stands
    const c: CollectedResult = r;
    results[i] = c;
    if (r.ok && r.output && opts.outDir) {
      // A document that cannot be fetched must not leave its result uncounted (the wait would never end).
      try {
        c.saved_to = await saveOutput(nc, r, opts.outDir, savedNames);
      } catch (err) {
        c.save_error = `the job succeeded but its document could not be saved: ${(err as Error).message}`;
      }
    }
    done++;
    if (!r.ok) failed++;
    opts.onResult?.(c, i);
    opts.onProgress?.({ done, failed, total: plan.jobs.length });
    if (done === plan.jobs.length || (!r.ok && opts.failFast)) finish();
  };

  // Subscribe before publishing, from the start of the batch's subjects: results of a re-run
  // (stored the first time) are read back instead of running the jobs again.
  const collector = wait ? await collect(js, plan.batch, accept) : undefined;
  let duplicates = 0;
  const dupIds: string[] = [];
  try {
    let next = 0;
    const giveUpAt = Date.now() + timeoutMs;
    const publishOne = async () => {
      while (next < encoded.length) {
        const i = next++;
        const j = plan.jobs[i]!;
        // A server restart or a cluster leader election makes publishes time out; the job id is the
        // Nats-Msg-Id, so publishing again is safe: JetStream stores it once.
        await retrying(
          async (retry) => {
            const ack = await js.publish(taskSubject(j.handler), encoded[i], { msgID: j.id });
            if (ack.duplicate) {
              // on a retry, "duplicate" may be our own earlier publish that got stored but not acked
              if (retry === 0) duplicates++;
              dupIds.push(j.id);
            }
          },
          { backoff: natsPublishBackoff, giveUpAt, retryable: isTransientNatsError },
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(submitDefaults.publishWindow, encoded.length) }, publishOne));
    if (!wait) return { batch: plan.batch, ids: plan.jobs.map((j) => j.id), results, duplicates, timedOut: false };

    // A duplicate first submitted under another batch has its result on that batch's subject.
    const poller = dupIds.length ? pollDuplicates(js, dupIds, results, accept) : undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      allIn.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    poller?.stop();
    return { batch: plan.batch, ids: plan.jobs.map((j) => j.id), results, duplicates, timedOut };
  } finally {
    collector?.stop();
  }
}

/** Library form of a map-reduce batch: run `handler` over `payloads`, results in input order. */
export async function submitBatch(
  nc: NatsConnection,
  handler: string,
  payloads: unknown[],
  opts: SubmitOptions & { batch?: string } = {},
): Promise<SubmitOutcome> {
  const batch = opts.batch ?? newId();
  const jobs = payloads.map((payload, i) => ({ handler, id: `${batch}-${i}`, payload }));
  return submitPlan(nc, { kind: "batch", batch, jobs }, opts);
}

function toJob(j: PlannedJob, batch: string, now: number): JobV1 {
  return { v: 1, id: j.id, batch, handler: j.handler, payload: j.payload, submitted_at: now, attempts: j.attempts, timeout_ms: j.timeout_ms };
}

async function collect(js: JetStreamClient, batch: string, accept: (r: ResultV1) => Promise<void>) {
  const consumer = await js.consumers.get(STREAM_RESULTS, { filter_subjects: `docctl.results.${batch}.>`, deliver_policy: DeliverPolicy.All });
  // Short pulls: after a reconnect the client checks the consumer and, when JetStream is not answering
  // yet (a server just restarted), waits `expires` before checking again; with the default (30 s) a
  // server restart stalled the results for half a minute. 2 s pulls cost one request per 2 s idle.
  const messages = await consumer.consume({ max_messages: 256, expires: 2_000 });
  const loop = (async () => {
    for await (const m of messages) {
      try {
        await accept(decodeResult(m.data));
      } catch {
        /* a foreign message on a results subject: not ours to read */
      }
    }
  })();
  return {
    stop() {
      void messages.close().catch(() => {});
      void loop;
    },
  };
}

function pollDuplicates(js: JetStreamClient, ids: string[], results: unknown[], accept: (r: ResultV1) => Promise<void>) {
  let stopped = false;
  void (async () => {
    const idx = new Set(ids);
    while (!stopped && idx.size) {
      for (const id of [...idx]) {
        const r = await readResult(js, id).catch(() => undefined);
        if (r) {
          idx.delete(id);
          await accept(r);
        }
      }
      await sleep(500);
    }
  })();
  return { stop: () => (stopped = true) };
}

/** The stored result of job `id`, whatever its batch; undefined when there is none (yet). */
export async function readResult(js: JetStreamClient, id: string): Promise<ResultV1 | undefined> {
  const consumer = await js.consumers.get(STREAM_RESULTS, { filter_subjects: `docctl.results.*.${id}`, deliver_policy: DeliverPolicy.LastPerSubject });
  const info = await consumer.info(true);
  if (info.num_pending === 0) {
    await consumer.delete().catch(() => {});
    return undefined;
  }
  const m = await consumer.next({ expires: 2000 });
  await consumer.delete().catch(() => {});
  return m ? decodeResult(m.data) : undefined;
}

/** Fetch the document a result names and write it under `dir`; returns the path. */
export async function saveOutput(nc: NatsConnection, r: ResultV1, dir: string, taken = new Set<string>()): Promise<string> {
  const out = r.output!;
  let bytes = out.data;
  if (!bytes) {
    if (!out.bucket || !out.name) throw new Error(`the result of job ${r.id} names a document but neither carries it nor says where it is`);
    const os = await new Objm(nc).open(out.bucket);
    bytes = (await os.getBlob(out.name)) ?? undefined;
    if (!bytes) throw new Error(`the document ${out.name} of job ${r.id} is no longer in ${out.bucket} (expired?)`);
  }
  mkdirSync(dir, { recursive: true });
  // Only a base name: a handler cannot make the submitter write outside the directory.
  let name = basename(out.filename ?? `${r.id}.bin`) || `${r.id}.bin`;
  // Two jobs of one run naming the same file: the later one is prefixed with its id, not overwritten.
  if (taken.has(name)) name = `${r.id}-${name}`;
  taken.add(name);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

