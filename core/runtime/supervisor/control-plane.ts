// The control plane of a running worker: its TTL'd presence entry in KV bucket DOCCTL_WORKERS, and it
// answers request/reply on docctl.control.<id>.<verb> and docctl.control.all.<verb> (status, pause, resume, drain).
import type { NatsConnection, Msg, Subscription } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import type { SupervisorStatus } from "./supervisor.ts";
import { BUCKET_WORKERS, controlAllSubject } from "../protocol/subjects.ts";
import { CONTROL_VERBS, controlSubject, type ControlReplyV1, type ControlVerb, type PresenceProcV1, type PresenceV1 } from "../protocol/control.ts";
import { ConfigError } from "../protocol/errors.ts";
import { isAlreadyExists } from "../nats/errors.ts";
import { replicasFor } from "../nats/replicas.ts";
import type { Logger } from "../protocol/logger.ts";

/** What control acts on (the supervisor, via the worker parent). */
export interface ControlTarget {
  status(): SupervisorStatus;
  /** resolves once every proc has stopped taking deliveries (the reply is sent after it) */
  pause(): void | Promise<void>;
  resume(): void | Promise<void>;
  /**
   * begin a drain of the whole worker; must not wait for it. `timeoutMs`: the requester's bound (a
   * manager's --drain-timeout), which the worker takes as its own when it is longer
   */
  drain(timeoutMs?: number): void;
}

export interface ControlOptions {
  nc: NatsConnection;
  /** worker id: a subject-safe token */
  id: string;
  host: string;
  pid: number;
  version: string;
  startedAt: number;
  labels: Record<string, string>;
  /** the job types this worker serves, for `docctl handlers` */
  handlers?: string[];
  target: ControlTarget;
  /** presence entries not refreshed for this long disappear (bucket max age), ms */
  presenceTtlMs: number;
  /** how often the entry is rewritten even when nothing changed, ms */
  refreshMs: number;
  log: Logger;
}

export const controlDefaults = { presenceTtlMs: 15_000, refreshMs: 5_000 };

/** The presence entry for a status: a pure function, so the manager's tests can build one too. */
export function presenceOf(
  o: Pick<ControlOptions, "id" | "host" | "pid" | "version" | "startedAt" | "labels" | "handlers">,
  s: SupervisorStatus,
  now: number,
): PresenceV1 {
  const procs: PresenceProcV1[] = s.procs.map((p) => ({
    name: p.name,
    handler: p.handler,
    pid: p.pid,
    state: p.state,
    loop: p.loop,
    restarts: p.restarts,
    watchdog_kills: p.watchdogKills ?? 0,
    ...(p.lastKill ? { last_kill: p.lastKill } : {}),
    jobs_done: p.jobsDone,
    jobs_failed: p.jobsFailed,
    in_flight: p.inFlight.map((j) => ({ id: j.id, handler: j.handler, age_ms: j.ageMs, batch: j.batch, attempt: j.attempt, started_at: j.startedAt, progress: j.progress })),
    started_at: p.startedAt,
    last_exit: p.lastExit
      ? { code: p.lastExit.code, signal: p.lastExit.signal, ran_ms: p.lastExit.ranMs, planned: p.lastExit.planned, at: p.lastExit.at }
      : null,
  }));
  return {
    v: 1,
    id: o.id,
    host: o.host,
    pid: o.pid,
    version: o.version,
    started_at: o.startedAt,
    updated_at: now,
    state: s.state,
    in_flight: procs.reduce((n, p) => n + p.in_flight.length, 0),
    procs,
    labels: o.labels,
    ...(o.handlers ? { handlers: o.handlers } : {}),
  };
}

/** Open (or create) the presence bucket. Creating races with other workers and the manager are fine. */
export async function workersBucket(nc: NatsConnection, ttlMs = controlDefaults.presenceTtlMs): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(BUCKET_WORKERS, { ttl: ttlMs, history: 1, replicas: replicasFor(nc) });
  } catch (err) {
    if (isAlreadyExists(err)) return await kvm.open(BUCKET_WORKERS);
    throw err;
  }
}

/** The control plane of one worker. start() subscribes and writes presence; stop() removes both. */
export class ControlPlane {
  #o: ControlOptions;
  #kv: KV | null = null;
  #subs: Subscription[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #pending: ReturnType<typeof setTimeout> | null = null;
  #lastPut = 0;
  #writing: Promise<void> = Promise.resolve();
  #stopped = false;
  /** set once the id is known to be ours: only then may stop() delete the entry */
  #owner = false;

  constructor(o: ControlOptions) {
    this.#o = o;
  }

  /** Subscribe and write presence. Throws ConfigError when another live worker already has this id. */
  async start(): Promise<void> {
    const { nc, id } = this.#o;
    this.#kv = await workersBucket(nc, this.#o.presenceTtlMs);
    await this.#checkIdFree();
    this.#owner = true;
    for (const subj of [controlSubject(id, "*"), controlAllSubject("*")]) {
      this.#subs.push(nc.subscribe(subj, { callback: (err, msg) => {
        if (!err) this.#onRequest(msg);
      } }));
    }
    await nc.flush();
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#o.refreshMs);
  }

  /** Something changed: refresh presence soon (at most twice a second, so a busy worker does not flood the bucket). */
  changed(): void {
    if (this.#pending || this.#stopped) return;
    const wait = Math.max(0, this.#lastPut + 500 - Date.now());
    this.#pending = setTimeout(() => {
      this.#pending = null;
      void this.refresh();
    }, wait);
  }

  presence(): PresenceV1 {
    return presenceOf(this.#o, this.#o.target.status(), Date.now());
  }

  /** Write the presence entry now. */
  refresh(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      if (this.#stopped || !this.#kv || !this.#owner) return;
      this.#lastPut = Date.now();
      try {
        await this.#kv.put(this.#o.id, JSON.stringify(this.presence()));
      } catch (err) {
        // NATS away for a moment: the next refresh catches up; the entry may expire meanwhile, which is honest.
        this.#o.log.debug(`presence refresh failed: ${(err as Error).message}`);
      }
    });
    return this.#writing;
  }

  /** Unsubscribe and delete the presence entry (a clean exit). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#pending) clearTimeout(this.#pending);
    for (const s of this.#subs.splice(0)) s.unsubscribe();
    await this.#writing;
    if (!this.#owner) return;
    try {
      await this.#kv?.delete(this.#o.id);
    } catch (err) {
      this.#o.log.warn(`could not remove the presence entry of ${this.#o.id}: ${(err as Error).message} (it expires in ${this.#o.presenceTtlMs}ms)`);
    }
  }

  // Two workers with one id would share a control subject and overwrite each other's presence. An
  // entry left by a worker that died hard is not a conflict: only one that still answers is.
  async #checkIdFree(): Promise<void> {
    const { nc, id } = this.#o;
    // the presence bucket cannot be read now (NATS slow): no clash can be shown, and the live owner's control subject still answers
    const e = await this.#kv!.get(id).catch(() => null);
    if (!e || e.operation !== "PUT" || !e.length) return;
    let owner: PresenceV1;
    try {
      owner = JSON.parse(e.string()) as PresenceV1;
    } catch {
      return; // an entry that is not JSON is no docctl worker's presence: not a name clash
    }
    if (owner.host === this.#o.host && owner.pid === this.#o.pid) return;
    try {
      await nc.request(controlSubject(id, "status"), "", { timeout: 1000 });
    } catch {
      return; // nobody answers: a dead worker's entry, ours now
    }
    throw new ConfigError(
      `worker id "${id}" is in use by a live worker (pid ${owner.pid} on host ${owner.host}); give this one another --name, or drain that one first (docctl drain ${id})`,
      "name",
    );
  }

  #onRequest(msg: Msg): void {
    const verb = msg.subject.split(".").pop() as ControlVerb;
    const t = this.#o.target;
    if (!(CONTROL_VERBS as readonly string[]).includes(verb)) {
      const reply: ControlReplyV1 = {
        ok: false,
        id: this.#o.id,
        error: { code: "UNKNOWN_VERB", message: `unknown control verb "${verb}"; use one of ${CONTROL_VERBS.join(", ")}` },
      };
      if (msg.reply) msg.respond(JSON.stringify(reply));
      return;
    }
    // pause answers only once deliveries have stopped in every proc: nothing reaches them after the reply
    const acted = verb === "pause" ? t.pause() : verb === "resume" ? t.resume() : verb === "drain" ? t.drain(drainTimeoutOf(msg)) : undefined;
    void Promise.resolve(acted)
      .catch((err) => this.#o.log.warn(`control ${verb}: ${(err as Error).message}`))
      .then(() => {
        const reply: ControlReplyV1 = { ok: true, verb, worker: this.presence() };
        if (msg.reply) msg.respond(JSON.stringify(reply));
        if (verb !== "status") this.changed();
      });
  }
}

/** The `timeout_ms` of a drain request's JSON body (`{"timeout_ms": 300000}`), if any; an empty or other body has none. */
export function drainTimeoutOf(msg: Pick<Msg, "data">): number | undefined {
  if (!msg.data?.length) return undefined;
  try {
    const v = (JSON.parse(new TextDecoder().decode(msg.data)) as { timeout_ms?: unknown }).timeout_ms;
    return typeof v === "number" && Number.isFinite(v) && v > 0 && v < 2 ** 31 ? Math.floor(v) : undefined;
  } catch {
    return undefined; // a request body that is not JSON: no timeout asked for, the default applies
  }
}
