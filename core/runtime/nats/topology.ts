// Stream and consumer set-up: made by any mode at start, idempotent, updated when the limits change.
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { nanos } from "@nats-io/transport-node";
import {
  BUCKET_OUTPUTS,
  PRIORITIES,
  STREAM_DEAD,
  STREAM_PROGRESS,
  STREAM_RESULTS,
  STREAM_TASKS,
  prioritySubject,
  priorityConsumer,
  consumerName,
  TASK_STREAM_SUBJECTS,
  ALL_RESULTS,
  ALL_DEAD,
  ALL_PROGRESS,
  ALL_LOGS,
} from "../protocol/subjects.ts";
import { isAlreadyExists, isNotFound } from "./errors.ts";
import { replicasFor } from "./replicas.ts";
import { jobsStreamConfig } from "./job-index.ts";
import { LOG_MAX_LINES, STREAM_LOGS } from "../protocol/job-log.ts";
import { migrateDelayedStream } from "./delayed-migration.ts";

/** Limits of the streams and consumers docctl creates. */
export interface TopologyOptions {
  /** re-submits of the same job id inside this window are no-ops, ms */
  duplicateWindowMs: number;
  /** how long results are kept, ms */
  resultsMaxAgeMs: number;
  /** how long dead letters are kept, ms */
  deadMaxAgeMs: number;
  /** how long documents in the outputs bucket are kept, ms */
  outputsMaxAgeMs: number;
  /** a delivered job not acked (nor heartbeated) in this time is redelivered, ms */
  ackWaitMs: number;
  /**
   * replicas of the streams created (see replicas.ts)
   * @defaultValue min(3, servers in the NATS cluster)
   */
  replicas?: number;
  /** how long the last progress of a job is kept, ms */
  progressMaxAgeMs: number;
  /** how far ahead a delayed job is expected at most (the job index keeps entries this long), ms */
  delayedMaxAgeMs: number;
}

export const topologyDefaults: TopologyOptions = {
  duplicateWindowMs: 15 * 60_000,
  resultsMaxAgeMs: 24 * 3_600_000,
  deadMaxAgeMs: 7 * 24 * 3_600_000,
  outputsMaxAgeMs: 24 * 3_600_000,
  ackWaitMs: 30_000,
  progressMaxAgeMs: 3_600_000,
  delayedMaxAgeMs: 30 * 24 * 3_600_000,
};

export { TASK_STREAM_SUBJECTS };
/**
 * Server features DOCCTL_TASKS needs (nats-server 2.14+): message schedules (delays and schedules) and
 * atomic batch publish (a batch enqueued all or nothing). Brought onto an existing stream even by a
 * submitter, which otherwise never changes streams: they only add, and without them submits fail.
 */
export const TASK_STREAM_FEATURES = {
  allow_msg_schedules: true,
  allow_atomic: true,
  // nats-server refuses message schedules on a stream with discard "new" (docctl before 2.14 set it). The
  // stream has no message or byte limits, so discard never drops a job; a full server (account or disk
  // limits) refuses publishes either way ("insufficient resources"). Do not give DOCCTL_TASKS limits.
  discard: DiscardPolicy.Old,
} as const;

/** The stream configs, as a pure function of the options (`o.replicas` resolved: see replicasFor). */
export function streamConfigs(o: TopologyOptions & { replicas: number }): Partial<StreamConfig>[] {
  const base = { storage: StorageType.File, num_replicas: o.replicas };
  return [
    {
      ...base,
      name: STREAM_TASKS,
      // One token per handler (and the two priority subjects), not `>`: a job on docctl.tasks.echo.extra
      // was stored and acknowledged but no consumer ever read it. Existing streams are brought to this.
      subjects: TASK_STREAM_SUBJECTS,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(o.duplicateWindowMs),
      ...TASK_STREAM_FEATURES,
    },
    {
      ...base,
      name: STREAM_RESULTS,
      subjects: [ALL_RESULTS],
      retention: RetentionPolicy.Limits,
      max_age: nanos(o.resultsMaxAgeMs),
      // One result per job: a job processed twice (an ack lost in a crash) keeps only its last result.
      max_msgs_per_subject: 1,
      duplicate_window: nanos(Math.min(o.duplicateWindowMs, o.resultsMaxAgeMs)),
      // a job's keep_result / keep_failed shorter than the stream's max age: its result carries a Nats-TTL
      allow_msg_ttl: true,
    },
    {
      ...base,
      name: STREAM_DEAD,
      subjects: [ALL_DEAD],
      retention: RetentionPolicy.Limits,
      max_age: nanos(o.deadMaxAgeMs),
      duplicate_window: nanos(Math.min(o.duplicateWindowMs, o.deadMaxAgeMs)),
    },
    {
      ...base,
      name: STREAM_PROGRESS,
      subjects: [ALL_PROGRESS],
      retention: RetentionPolicy.Limits,
      max_age: nanos(o.progressMaxAgeMs),
      max_msgs_per_subject: 1,
    },
    {
      // ctx.log lines kept with each job: the last LOG_MAX_LINES per job, as long as results
      ...base,
      name: STREAM_LOGS,
      subjects: [ALL_LOGS],
      retention: RetentionPolicy.Limits,
      max_age: nanos(o.resultsMaxAgeMs),
      max_msgs_per_subject: LOG_MAX_LINES,
      max_msg_size: 8 * 1024,
    },
    // the job index: entries of waiting jobs live as long as a job may wait; finished ones carry their TTL
    jobsStreamConfig({ replicas: o.replicas, duplicateWindowMs: o.duplicateWindowMs, maxAgeMs: Math.max(o.delayedMaxAgeMs, o.deadMaxAgeMs, o.resultsMaxAgeMs) }),
  ];
}

/**
 * Create the streams, or bring their limits up to date. `createOnly`: leave existing streams as they are
 * (submitters: a client that was not told the cluster's settings must not reset them, e.g. replicas 3 to 1).
 * `keepReplicas`: create with `o.replicas` but never change an existing stream's replica count (a worker
 * started without --replicas on a cluster must not shrink R3 streams to R1).
 */
export async function ensureStreams(jsm: JetStreamManager, o: TopologyOptions, opts: { createOnly?: boolean; keepReplicas?: boolean } = {}): Promise<void> {
  // New streams get min(3, servers in the cluster) unless replicas were asked for (here or on the connection).
  const replicas = replicasFor(managerConnection(jsm), o.replicas);
  for (const cfg of streamConfigs({ ...o, replicas })) {
    try {
      const info = await jsm.streams.info(cfg.name!);
      if (opts.createOnly) {
        if (cfg.name === STREAM_TASKS) await addTaskFeatures(jsm, info.config);
        continue;
      }
      if (opts.keepReplicas) cfg.num_replicas = info.config.num_replicas;
      const c = info.config as unknown as Record<string, unknown>;
      const changed = Object.entries(cfg).some(([k, v]) => k !== "storage" && k !== "retention" && JSON.stringify(c[k]) !== JSON.stringify(v));
      if (changed) {
        const { storage: _s, retention: _r, ...upd } = cfg;
        // Best effort: the stream exists and serves as it is. A worker with least-privilege
        // credentials may not update streams (systemd/nats-accounts.conf), and a start must not hang
        // or fail on that; the next start by an admin (manager, docctl up) brings it up to date.
        await jsm.streams.update(cfg.name!, upd).catch(() => {});
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await jsm.streams.add(cfg as StreamConfig);
      } catch (e) {
        // Another proc created it between our info and add: that is the idempotent outcome.
        if (!isAlreadyExists(e)) throw e;
      }
    }
  }
  // delayed jobs an older docctl left in DOCCTL_DELAYED become server-side schedules, once
  if (!opts.createOnly) await migrateDelayedStream(jsm).catch(() => {});
}

/**
 * Bring a DOCCTL_TASKS made by an older docctl up to what this one needs (schedule subjects, schedules,
 * atomic batches), touching nothing else. Throws when the server refuses: delays, schedules and batches
 * cannot work without it.
 */
async function addTaskFeatures(jsm: JetStreamManager, have: StreamConfig): Promise<void> {
  const c = have as unknown as Record<string, unknown>;
  const subjects = [...new Set([...(have.subjects ?? []), ...TASK_STREAM_SUBJECTS])];
  const missing = Object.entries(TASK_STREAM_FEATURES).some(([k, v]) => c[k] !== v) || subjects.length !== (have.subjects ?? []).length;
  if (!missing) return;
  await jsm.streams.update(STREAM_TASKS, { ...have, subjects, ...TASK_STREAM_FEATURES } as StreamConfig);
}

/** Create the durable pull consumers of `handler` (one per priority), or update their ack wait. */
export async function ensureConsumer(jsm: JetStreamManager, handler: string, o: Pick<TopologyOptions, "ackWaitMs">): Promise<void> {
  for (const p of PRIORITIES) await ensureOneConsumer(jsm, priorityConsumer(handler, p), prioritySubject(handler, p), o);
}

/** The config of one task consumer (pure; docs/protocol.md states it). */
export function taskConsumerConfig(name: string, subject: string, o: Pick<TopologyOptions, "ackWaitMs">) {
  return {
    durable_name: name,
    filter_subject: subject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(o.ackWaitMs),
    // Attempts are counted by the worker (delivery count) so that the last one ends in a dead letter
    // instead of the message silently stopping in the stream.
    max_deliver: -1,
    // far above any fleet's slots: never what limits the jobs in flight
    max_ack_pending: 100_000,
  };
}

async function ensureOneConsumer(jsm: JetStreamManager, name: string, subject: string, o: Pick<TopologyOptions, "ackWaitMs">): Promise<void> {
  const cfg = taskConsumerConfig(name, subject, o);
  try {
    const info = await jsm.consumers.info(STREAM_TASKS, name);
    if (info.config.ack_wait !== cfg.ack_wait) await jsm.consumers.update(STREAM_TASKS, name, { ack_wait: cfg.ack_wait });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.consumers.add(STREAM_TASKS, cfg);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
}

/** Handlers that have a consumer, i.e. that some worker has registered. */
export async function knownHandlers(jsm: JetStreamManager): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const ci of jsm.consumers.list(STREAM_TASKS)) {
      const prefix = consumerName("");
      if (ci.name.startsWith(prefix)) out.push(ci.name.slice(prefix.length));
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return out.sort();
}

/** The outputs object store (documents), created on first use. */
export async function outputsBucket(nc: NatsConnection, o: Pick<TopologyOptions, "outputsMaxAgeMs" | "replicas">): Promise<ObjectStore> {
  return await new Objm(nc).create(BUCKET_OUTPUTS, { ttl: nanos(o.outputsMaxAgeMs), replicas: replicasFor(nc, o.replicas), storage: StorageType.File });
}

/** The connection a JetStreamManager talks through (nats.js keeps it as the public field `nc`). */
export function managerConnection(jsm: JetStreamManager): NatsConnection {
  return (jsm as unknown as { nc: NatsConnection }).nc;
}


/**
 * Create the streams and the consumers of `handlers`, so jobs for them can be submitted (and their
 * lag seen by a manager) before any worker has started: what lets a fleet scale up from zero.
 */
export async function ensureHandlers(nc: NatsConnection, handlers: string[], o: Partial<TopologyOptions> = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const topo = { ...topologyDefaults, ...o };
  // like a worker: the replica count of existing streams changes only when one was asked for
  await ensureStreams(jsm, topo, { keepReplicas: o.replicas === undefined });
  for (const h of handlers) await ensureConsumer(jsm, h, topo);
}
