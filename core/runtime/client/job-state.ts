// Where a job stands: scheduled, queued, running, done, failed, cancelled or dead. Read from the
// streams and buckets that hold it (no per-job record is written on the submit path).
import { jetstream, jetstreamManager, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeDead, decodeJob, decodeProgress, decodeResult, type JobV1, type ResultV1 } from "../protocol/codec.ts";
import type { JobEntryV1 } from "../protocol/job-entry.ts";
import { ErrorCodes } from "../protocol/errors.ts";
import type { JobProgressV1 } from "../protocol/control.ts";
import { readDelayed } from "../nats/delays.ts";
import { ALL_DEAD, ALL_DELAYS, ALL_TASKS, deadLetters, STREAM_DEAD, STREAM_PROGRESS, STREAM_RESULTS, STREAM_TASKS, priorityConsumer, progressSubject, resultSubject, type Priority } from "../protocol/subjects.ts";
import { isNoMessage, isNotFound } from "../nats/errors.ts";
import { readResult } from "./submit.ts";
import { findRunning, infoFromEntry, type JobInfo, type JobState, type WorkflowNode } from "./job-info.ts";
import { findJobEntry, queryJobs } from "./job-index.ts";

export { JOB_STATES, type JobInfo, type JobState } from "./job-info.ts";

/** How far a scan of a stream reads at most (messages), so a huge queue cannot stall a look-up. */
export const SCAN_LIMIT = 50_000;

/** Messages of `stream` on `filter`, oldest first, read one by one (work-queue streams allow no second consumer). */
export async function* scanStream(jsm: JetStreamManager, stream: string, filter: string, limit = SCAN_LIMIT): AsyncGenerator<StoredMsg> {
  let seq: number;
  try {
    const si = await jsm.streams.info(stream);
    if (si.state.messages === 0) return;
    seq = si.state.first_seq;
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  for (let n = 0; n < limit; n++) {
    let m: StoredMsg | null;
    try {
      // STREAM.MSG.GET with next_by_subj: the first message on `filter` at or after `seq` (nats-server 2.9+)
      m = await jsm.streams.getMessage(stream, { seq, next_by_subj: filter } as unknown as { seq: number });
    } catch (err) {
      // none left on `filter`: the scan is complete. Anything else (a timeout, the stream without a
      // leader) is a failure the caller must see: a partial scan would report a wrong state.
      if (isNoMessage(err) || isNotFound(err)) return;
      throw err;
    }
    if (!m) return;
    yield m;
    seq = m.seq + 1;
  }
}

/** The job `id`'s state, or undefined when nothing about it is kept (never submitted, or expired). */
export async function jobInfo(nc: NatsConnection, id: string): Promise<JobInfo | undefined> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const found = await findJobEntry(jsm, id);
  if (found) {
    const info = await fromIndex(nc, jsm, found.entry);
    // a step of a chain (or the chain's last step, whose id is the chain's): the chain as a tree
    if (found.entry.batch !== found.entry.id || found.entry.next?.length || (await findJobEntry(jsm, `${id}-0`))?.entry.batch === id) {
      const tree = await chainTree(nc, found.entry.batch);
      if (tree) info.workflow = tree;
    }
    return info;
  }
  // a chain whose last step (the chain's id) is not published yet: its steps so far
  const tree = await chainTree(nc, id);
  if (tree) return { id, batch: id, state: chainState(tree.steps), handler: tree.steps.at(-1)?.handler, workflow: tree };
  // no index entry: a job from before the index, or from a foreign client that writes none
  const r = await readResult(js, id);
  if (r) return { ...fromResult(r), ...(await isDead(jsm, r)) };
  const running = await findRunning(nc, (j) => j.id === id);
  if (running.length) return withProgress(jsm, running[0]!);
  // a delayed job: an @at schedule message in DOCCTL_TASKS until the server queues it
  const delayed = await readDelayed(jsm, id).catch(() => undefined);
  if (delayed) return fromJob({ ...delayed.job, run_at: delayed.job.run_at ?? delayed.runAt }, "scheduled");
  const queued = await findQueued(jsm, (j) => j.id === id, 1);
  if (queued.length) return queued[0];
  // a workflow's id: a chain's (its last step) or a batch's reduce step, while earlier steps run
  const batch = id.endsWith("-then") ? id.slice(0, -"-then".length) : id;
  const members = [
    ...(await findRunning(nc, (j) => j.batch === batch)),
    ...(await findQueued(jsm, (j) => j.batch === batch, 1000)),
    ...(await findDelayed(jsm, (j) => j.batch === batch, 1000)),
  ];
  if (!members.length) return undefined;
  const first = members[0]!;
  const kind = id === batch ? "chain" : "then";
  return {
    id,
    batch,
    state: first.state,
    handler: kind === "then" ? undefined : first.handler,
    workflow: { kind, steps: members.map((m) => ({ id: m.id, handler: m.handler ?? "?", state: m.state })) },
    worker: first.worker,
    proc: first.proc,
    attempt: first.attempt,
    started_at: first.started_at,
    progress: first.progress,
  };
}

/** Jobs in a state (or all), optionally of one handler: at most `limit` per state. */
export async function listJobs(nc: NatsConnection, o: { state?: JobState; handler?: string; limit?: number } = {}): Promise<JobInfo[]> {
  const jsm = await jetstreamManager(nc);
  const limit = o.limit ?? 100;
  const want = (s: JobState) => !o.state || o.state === s;
  const ofHandler = (j: { handler?: string }) => !o.handler || j.handler === o.handler;
  const out: JobInfo[] = [];
  if (want("scheduled")) out.push(...(await findDelayed(jsm, ofHandler, limit)));
  let running: JobInfo[] = [];
  if (want("running") || want("queued")) running = await findRunning(nc, ofHandler);
  if (want("queued")) {
    const busy = new Set(running.map((r) => r.id));
    out.push(...(await findQueued(jsm, (j) => ofHandler(j) && !busy.has(j.id), limit)));
  }
  if (want("running")) out.push(...running.slice(0, limit));
  if (want("done") || want("failed") || want("cancelled") || want("dead")) {
    const dead = new Set<string>();
    if (want("dead") || want("failed")) for await (const m of scanStream(jsm, STREAM_DEAD, ALL_DEAD, 10_000)) {
      try {
        const d = decodeDead(m.data);
        if (d.job) dead.add(d.job.id);
      } catch {
        /* not a docctl dead letter (a foreign publisher on the subject): not this job's */
      }
    }
    const results = await recentResults(jsm, 20 * limit);
    const counts = new Map<JobState, number>();
    for (const r of results) {
      const info = fromResult(r);
      if (info.state === "failed" && dead.has(r.id)) info.state = "dead";
      if (!want(info.state) || !ofHandler(info)) continue;
      const c = counts.get(info.state) ?? 0;
      if (c >= limit) continue;
      counts.set(info.state, c + 1);
      out.push(info);
    }
  }
  return out;
}

// A job the index knows: its entry, with what is running laid over it and the stored result of a finished one.
async function fromIndex(nc: NatsConnection, jsm: JetStreamManager, e: JobEntryV1): Promise<JobInfo> {
  let info = infoFromEntry(e);
  if (e.state === "queued" || e.state === "retrying") {
    const running = await findRunning(nc, (j) => j.id === e.id);
    if (running.length) info = await withProgress(jsm, { ...info, ...running[0]!, state: "running" });
  }
  if (e.state === "done" || e.state === "failed" || e.state === "cancelled" || e.state === "dead") {
    // the batch is known: one direct read of the result's subject
    // null is "no result" (nats.js answers 10037 so); a timeout is thrown, never shown as a missing result
    const m = await jsm.streams.getMessage(STREAM_RESULTS, { last_by_subj: resultSubject(e.batch, e.id) });
    let r: ResultV1 | undefined;
    try {
      r = m ? decodeResult(m.data) : undefined;
    } catch {
      /* not a docctl result (a foreign publisher on the subject): no result */
    }
    if (r) Object.assign(info, { result: r, worker: r.worker, attempt: r.attempts, started_at: r.started_at });
  }
  return info;
}

/** The chain of batch `batch` as a tree, from the job index: each step with its state, batch steps with their items. */
export async function chainTree(nc: NatsConnection, batch: string): Promise<JobInfo["workflow"] | undefined> {
  // the first step's entry holds the steps (one direct get): only then is the batch read
  const entry = await findJobEntry(await jetstreamManager(nc), `${batch}-0`);
  if (!entry?.entry.next?.length || entry.entry.batch !== batch) return undefined;
  const page = await queryJobs(nc, { batch, limit: 5000 });
  const byId = new Map(page.jobs.map((j) => [j.id, j]));
  const head = byId.get(`${batch}-0`) ?? { id: entry.entry.id, handler: entry.entry.handler, state: entry.entry.state };
  const steps: WorkflowNode[] = [{ id: head.id, handler: head.handler ?? "?", state: head.state }];
  for (const s of entry.entry.next) {
    const node: WorkflowNode = { id: s.id, handler: s.handler };
    const j = byId.get(s.id);
    if (j) node.state = j.state;
    if (s.delay_ms) node.delay_ms = s.delay_ms;
    if (s.batch !== undefined) {
      node.batch = s.batch;
      node.items = page.jobs
        .filter((x) => x.id.startsWith(`${s.id}-`) && /^\d+$/.test(x.id.slice(s.id.length + 1)))
        .sort((a, b) => Number(a.id.slice(s.id.length + 1)) - Number(b.id.slice(s.id.length + 1)))
        .map((x) => ({ id: x.id, handler: x.handler ?? s.handler, state: x.state }));
      if (!node.state && node.items.length) node.state = chainState(node.items);
    }
    steps.push(node);
  }
  return { kind: "chain", steps };
}

// A chain's (or a batch step's) state from its nodes: the first not done decides.
function chainState(nodes: WorkflowNode[]): JobState {
  const bad = nodes.find((n) => n.state === "failed" || n.state === "dead" || n.state === "cancelled");
  if (bad) return bad.state!;
  const at = nodes.find((n) => n.state !== "done");
  if (!at) return "done";
  return at.state ?? "queued";
}

function fromResult(r: ResultV1): JobInfo {
  const state: JobState = r.ok ? "done" : r.error?.code === ErrorCodes.CANCELLED ? "cancelled" : "failed";
  return { id: r.id, batch: r.batch, handler: r.handler, state, worker: r.worker, attempt: r.attempts, started_at: r.started_at, result: r };
}

function fromJob(j: JobV1, state: JobState): JobInfo {
  const info: JobInfo = { id: j.id, batch: j.batch, handler: j.handler, state, priority: j.priority ?? "normal", submitted_at: j.submitted_at, run_at: j.run_at };
  if (j.next?.length) info.workflow = { kind: "chain", steps: j.next.map((s) => ({ id: s.id, handler: s.handler })) };
  if (j.then) info.workflow = { kind: "then", steps: [{ id: j.then.id, handler: j.then.handler }] };
  return info;
}

// "dead": a failed result whose dead letter is still kept (docctl dead retry can put it back).
async function isDead(jsm: JetStreamManager, r: ResultV1): Promise<Partial<JobInfo>> {
  if (r.ok || r.error?.code === ErrorCodes.CANCELLED) return {};
  for await (const m of scanStream(jsm, STREAM_DEAD, deadLetters(r.handler), 10_000)) {
    try {
      if (decodeDead(m.data).job?.id === r.id) return { state: "dead" };
    } catch {
      /* not a docctl message (a foreign publisher on the subject): skipped */
    }
  }
  return {};
}

// The latest progress report is fresher than the presence entry (rewritten every few seconds).
async function withProgress(jsm: JetStreamManager, info: JobInfo): Promise<JobInfo> {
  if (!info.batch) return info;
  // no report (null), or no progress stream on this server yet: no progress to show; other failures are thrown
  const m = await jsm.streams.getMessage(STREAM_PROGRESS, { last_by_subj: progressSubject(info.batch, info.id) }).catch((err) => {
    if (isNotFound(err)) return null;
    throw err;
  });
  const p = m ? decodeProgress(m.data) : undefined;
  if (p && (!info.started_at || p.at >= info.started_at)) info.progress = { fraction: p.fraction, done: p.done, total: p.total, message: p.message, at: p.at };
  return info;
}

// Jobs in the task queue. One its consumer has already delivered (stream sequence at or below the
// consumer's delivered one) is with a worker that has not started it yet (waiting for a slot, or
// starting): still queued, marked `delivered`.
async function findQueued(jsm: JetStreamManager, pred: (j: JobV1) => boolean, limit: number): Promise<JobInfo[]> {
  const out: JobInfo[] = [];
  const ahead = new Map<string, number>();
  const delivered = new Map<string, number>();
  const deliveredUpTo = async (j: JobV1) => {
    const name = priorityConsumer(j.handler, j.priority ?? "normal");
    if (!delivered.has(name)) {
      // no consumer yet (or unreadable): nothing counts as delivered, the job shows as queued
      const ci = await jsm.consumers.info(STREAM_TASKS, name).catch(() => undefined);
      delivered.set(name, ci?.delivered?.stream_seq ?? 0);
    }
    return delivered.get(name)!;
  };
  for await (const m of scanStream(jsm, STREAM_TASKS, ALL_TASKS)) {
    const d = decodeJob(m.data);
    if (!d.ok) continue;
    if (m.seq <= (await deliveredUpTo(d.value))) {
      if (pred(d.value)) out.push({ ...fromJob(d.value, "queued"), delivered: true });
      if (out.length >= limit) break;
      continue;
    }
    const key = `${d.value.handler}.${d.value.priority ?? "normal"}`;
    const pos = ahead.get(key) ?? 0;
    ahead.set(key, pos + 1);
    if (!pred(d.value)) continue;
    out.push({ ...fromJob(d.value, "queued"), position: pos });
    if (out.length >= limit) break;
  }
  return out;
}

async function findDelayed(jsm: JetStreamManager, pred: (j: JobV1) => boolean, limit: number): Promise<JobInfo[]> {
  const out: JobInfo[] = [];
  for await (const m of scanStream(jsm, STREAM_TASKS, ALL_DELAYS)) {
    const d = decodeJob(m.data);
    if (d.ok && pred(d.value)) out.push(fromJob(d.value, "scheduled"));
    if (out.length >= limit) break;
  }
  return out.sort((a, b) => (a.run_at ?? 0) - (b.run_at ?? 0));
}

// The newest results, newest first: read from the end of the stream (a day of results can be millions).
async function recentResults(jsm: JetStreamManager, max: number): Promise<ResultV1[]> {
  let last: number;
  let first: number;
  try {
    const si = await jsm.streams.info(STREAM_RESULTS);
    if (si.state.messages === 0) return [];
    last = si.state.last_seq;
    first = si.state.first_seq;
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const out: ResultV1[] = [];
  // results overwritten by a later one of the same job leave gaps: look at most 4x as far back
  for (let seq = last, tries = 0; seq >= first && out.length < max && tries < 4 * max; seq--, tries++) {
    const m = await jsm.streams.getMessage(STREAM_RESULTS, { seq }); // null: a gap (an overwritten result)
    if (!m) continue;
    try {
      out.push(decodeResult(m.data));
    } catch {
      /* not a docctl message (a foreign publisher on the subject): skipped */
    }
  }
  return out;
}

