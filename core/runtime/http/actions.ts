// The dashboard's actions (POST routes: startHttp has already checked Host, Origin, JSON and the token):
// pause / resume / drain a worker or a handler, cancel a job, retry or delete dead letters, purge a
// handler's waiting jobs (typed confirmation), pause, resume or run a schedule now, promote or cancel a
// delayed job.
// Each one is written to the audit list with who did it.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { listDead, retryDead } from "../client/dead.ts";
import { cancelJobs } from "../client/cancel.ts";
import { controlWorkers, NoSuchWorkerError } from "../client/fleet.ts";
import { runScheduleNow as runScheduleTick, setSchedulePaused } from "../client/schedules.ts";
import { promoteDelayed as promoteDelayedJob } from "../nats/delays.ts";
import { parseJobFile } from "../client/jobfile.ts";
import { startBatch } from "../client/submit.ts";
import { readHandlerLags } from "../client/lag.ts";
import { decodeJob, encodeJob } from "../protocol/codec.ts";
import { InputError } from "../protocol/errors.ts";
import { PRIORITIES, STREAM_DEAD, STREAM_TASKS, priorityConsumer, prioritySubject, tokenProblem } from "../protocol/subjects.ts";
import { isNotFound } from "../nats/errors.ts";
import type { AuditLog } from "./audit.ts";
import type { RouteHandler } from "./server.ts";

/** Pause deliveries of a handler on the server (all three priority consumers), until resumed. */
export async function pauseHandler(nc: NatsConnection, handler: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  let n = 0;
  // a pause has an end on the server: far enough to mean "until resumed"
  const until = new Date(Date.now() + 10 * 365 * 24 * 3_600_000);
  for (const p of PRIORITIES) {
    try {
      await jsm.consumers.pause(STREAM_TASKS, priorityConsumer(handler, p), until);
      n++;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if (!n) throw new InputError(`no consumer for handler "${handler}": no worker or manager has declared it`);
  return n;
}

/** Resume deliveries of a handler. */
export async function resumeHandler(nc: NatsConnection, handler: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const p of PRIORITIES) {
    await jsm.consumers.resume(STREAM_TASKS, priorityConsumer(handler, p)).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }
}

/** Remove a handler's waiting jobs (not those in flight); how many were removed. */
export async function purgeHandler(nc: NatsConnection, handler: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  let n = 0;
  for (const p of PRIORITIES) n += (await jsm.streams.purge(STREAM_TASKS, { filter: prioritySubject(handler, p) })).purged;
  return n;
}

/** Delete dead letters (by job id, or all) without re-queueing them. */
export async function deleteDead(nc: NatsConnection, which: { id?: string; all?: boolean }): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const entries = await listDead(nc);
  const chosen = which.all ? entries : entries.filter((e) => e.dead.job?.id === which.id);
  if (!which.all && !chosen.length) throw new InputError(`no dead letter for job "${which.id}"`);
  for (const e of chosen) await jsm.streams.deleteMessage(STREAM_DEAD, e.seq);
  return chosen.map((e) => e.dead.job?.id ?? `seq ${e.seq}`);
}

/** Queue a delayed job now (the server fires its @at schedule at once; never twice: nats/delays.ts). */
export async function promoteDelayed(nc: NatsConnection, id: string): Promise<void> {
  if (!(await promoteDelayedJob(nc, id))) throw new InputError(`no delayed job "${id}" (it may have started already)`);
}

/** Fire a schedule's jobs now, as a tick of this second (ids `sched-<name>-<ms>`); resolves with how many were queued. */
export async function runScheduleNow(nc: NatsConnection, name: string): Promise<number> {
  const ids = await runScheduleTick(nc, name);
  if (!ids) throw new InputError(`no schedule "${name}"`);
  return ids.length;
}

/** Pause (its schedule messages are removed from the server: nothing fires) or resume a schedule; what was done. */
export async function pauseSchedule(nc: NatsConnection, name: string, paused: boolean): Promise<string> {
  const s = await setSchedulePaused(nc, name, paused);
  if (!s) throw new InputError(`no schedule "${name}" (docctl schedule ls lists them)`);
  return paused ? `schedule ${name} paused: nothing fires until it is resumed` : `schedule ${name} resumed`;
}

type Body = Record<string, unknown>;

/** The action routes. `nc` is read at each call (the connection comes after the server starts). */
export function actionRoutes(nc: () => NatsConnection | undefined, audit: AuditLog): Record<string, RouteHandler> {
  // One action: parse the body, check the target, run, audit, answer.
  const act = (action: string, targetKey: string, run: (nc: NatsConnection, target: string, body: Body) => Promise<string>, check: (t: unknown) => string | undefined = tokenProblem): RouteHandler =>
    async (req, _url, info) => {
      const c = nc();
      if (!c) return Response.json({ error: "not connected to NATS yet" }, { status: 503 });
      // a body that is not JSON is answered below as a bad request, like a missing one
      const body = (await req.json().catch(() => null)) as Body | null;
      if (!body || typeof body !== "object") return Response.json({ error: `send a JSON object, e.g. {"${targetKey}": "..."}` }, { status: 400 });
      const target = body[targetKey];
      const problem = body.all === true ? undefined : check(target);
      if (problem) return Response.json({ error: `"${targetKey}" ${problem}` }, { status: 400 });
      const shown = body.all === true ? "all" : String(target);
      try {
        const detail = await run(c, shown, body);
        // the action is done either way; an audit entry NATS could not store must not turn it into an error
        await audit.add({ who: info.who, action, target: shown, ok: true, detail }).catch(() => {});
        return Response.json({ ok: true, detail });
      } catch (err) {
        const msg = (err as Error).message;
        const status = err instanceof InputError || err instanceof NoSuchWorkerError ? 404 : err instanceof ConfirmError ? 400 : 500;
        // the answer below says what failed; an audit entry NATS could not store adds nothing to it
        await audit.add({ who: info.who, action, target: shown, ok: false, detail: msg }).catch(() => {});
        return Response.json({ error: msg }, { status });
      }
    };
  const worker = (verb: "pause" | "resume" | "drain") =>
    act(`worker.${verb}`, "worker", async (c, id, body) => {
      // a drain stops the worker for good (it exits once its jobs in flight finish): asked for by name
      if (verb === "drain" && body.confirm !== id) throw new ConfirmError(`drain stops worker ${id} once its jobs in flight finish: repeat its id as "confirm" to go on`);
      const replies = await controlWorkers(c, id, verb);
      return `${replies.length} worker(s) answered: ${replies.map((r) => (r.ok ? `${r.worker.id} ${r.worker.state}` : r.error.message)).join(", ")}`;
    }, (t) => (t === "all" ? undefined : tokenProblem(t)));
  return {
    "POST /api/workers/pause": worker("pause"),
    "POST /api/workers/resume": worker("resume"),
    "POST /api/workers/drain": worker("drain"),
    "POST /api/handlers/pause": act("handler.pause", "handler", async (c, h) => {
      await pauseHandler(c, h);
      return `deliveries of ${h} paused on the server (jobs in flight finish)`;
    }),
    "POST /api/handlers/resume": act("handler.resume", "handler", async (c, h) => {
      await resumeHandler(c, h);
      return `deliveries of ${h} resumed`;
    }),
    // drain: no new deliveries, and wait (up to 30 s) for the ones in flight to finish
    "POST /api/handlers/drain": act("handler.drain", "handler", async (c, h) => {
      await pauseHandler(c, h);
      const jsm = await jetstreamManager(c);
      const until = Date.now() + 30_000;
      let inFlight = 0;
      do {
        inFlight = (await readHandlerLags(jsm, [h]))[0]?.ackPending ?? 0;
        if (!inFlight) break;
        await new Promise((r) => setTimeout(r, 500));
      } while (Date.now() < until);
      return inFlight ? `paused; ${inFlight} job(s) still in flight after 30 s` : `paused; nothing in flight`;
    }),
    "POST /api/handlers/purge": act("handler.purge", "handler", async (c, h, body) => {
      if (body.confirm !== h) throw new ConfirmError(`purge removes every waiting job of ${h}: type the handler's name as "confirm" to go on`);
      return `${await purgeHandler(c, h)} waiting job(s) of ${h} removed`;
    }),
    "POST /api/jobs/cancel": act("job.cancel", "id", async (c, id) => {
      const [r] = await cancelJobs(c, [id]);
      return `${id}: ${r!.outcome}${r!.was ? ` (was ${r!.was})` : ""}`;
    }),
    "POST /api/dead/retry": act("dead.retry", "id", async (c, id, body) => {
      const r = await retryDead(c, body.all === true ? { all: true } : { id });
      return `re-queued ${r.retried.join(", ") || "nothing"}${r.skipped.length ? `; skipped ${r.skipped.join(", ")}` : ""}`;
    }),
    "POST /api/dead/delete": act("dead.delete", "id", async (c, id, body) => {
      if (body.all === true && body.confirm !== "delete all") throw new ConfirmError(`deleting every dead letter cannot be undone: send "confirm": "delete all"`);
      const gone = await deleteDead(c, body.all === true ? { all: true } : { id });
      return `deleted ${gone.length} dead letter(s)${gone.length <= 10 ? `: ${gone.join(", ")}` : ""}`;
    }),
    "POST /api/schedules/pause": act("schedule.pause", "name", (c, name) => pauseSchedule(c, name, true)),
    "POST /api/schedules/resume": act("schedule.resume", "name", (c, name) => pauseSchedule(c, name, false)),
    "POST /api/schedules/run": act("schedule.run", "name", async (c, name) => `fired ${await runScheduleNow(c, name)} job(s) of ${name}`),
    "POST /api/delayed/promote": act("delayed.promote", "id", async (c, id) => {
      await promoteDelayed(c, id);
      return `${id} queued now`;
    }),
    "POST /api/delayed/cancel": act("delayed.cancel", "id", async (c, id) => {
      const [r] = await cancelJobs(c, [id]);
      return `${id}: ${r!.outcome}`;
    }),
  };
}

/** A destructive action sent without its typed confirmation. */
export class ConfirmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfirmError";
  }
}
