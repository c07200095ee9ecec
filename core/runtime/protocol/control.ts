// The control protocol's wire shapes (part of the v1 contract, docs/protocol.md): presence entries in KV
// bucket DOCCTL_WORKERS and request/reply on docctl.control.<id>.<verb> / docctl.control.all.<verb>.
import { Type, type Static } from "@sinclair/typebox";
import { BUCKET_WORKERS, controlSubject } from "./subjects.ts";
import { checker } from "./schema.ts";

export { BUCKET_WORKERS };
export const CONTROL_VERBS = ["status", "pause", "resume", "drain"] as const;
/** What a control request asks a worker (`docctl.control.<worker>.<verb>`): status, pause, resume or drain. */
export type ControlVerb = (typeof CONTROL_VERBS)[number];
export { controlSubject };

// The presence entry's shape is one TypeBox schema: PresenceV1 is derived from it, and parsePresence
// returns an entry that fits it as it is. Nested objects allow no other keys, so an entry passed
// through unchanged is exactly what the repair below would have made of it.
const NumOrNull = Type.Union([Type.Number(), Type.Null()]);
const closed = { additionalProperties: false } as const;

/** The schema of the last progress a running job reported (JobProgressV1). */
export const JobProgressSchema = Type.Object(
  { fraction: Type.Optional(Type.Number()), done: Type.Optional(Type.Number()), total: Type.Optional(Type.Number()), message: Type.Optional(Type.String()) },
  closed,
);
/** The last progress a running job reported (ctx.progress). */
export type JobProgressV1 = Static<typeof JobProgressSchema>;

const InFlightSchema = Type.Object(
  {
    id: Type.String(),
    handler: Type.String(),
    age_ms: Type.Number(),
    // job control's optional fields (absent from older workers)
    batch: Type.Optional(Type.String()),
    attempt: Type.Optional(Type.Number()),
    started_at: Type.Optional(Type.Number()),
    progress: Type.Optional(JobProgressSchema),
  },
  closed,
);

/** The schema of one proc in a presence entry (PresenceProcV1). */
export const PresenceProcSchema = Type.Object(
  {
    name: Type.String(),
    /** the one handler a dedicated proc serves, null for a general one */
    handler: Type.Union([Type.String(), Type.Null()]),
    pid: NumOrNull,
    state: Type.String(),
    /** the proc's loop state: running, paused, draining ... */
    loop: Type.Union([Type.String(), Type.Null()]),
    restarts: Type.Number(),
    /** children of this proc the watchdog killed (optional: absent from older workers) */
    watchdog_kills: Type.Optional(Type.Number()),
    /** why the watchdog killed the last one */
    last_kill: Type.Optional(Type.String({ maxLength: 300 })),
    jobs_done: Type.Number(),
    jobs_failed: Type.Number(),
    /** `batch`, `attempt`, `started_at` and `progress` are optional (job control; absent from older workers) */
    in_flight: Type.Array(InFlightSchema),
    started_at: NumOrNull,
    /** how the previous child of this proc ended (null before the first exit) */
    last_exit: Type.Union([
      Type.Object({ code: NumOrNull, signal: Type.Union([Type.String(), Type.Null()]), ran_ms: Type.Number(), planned: Type.Boolean(), at: Type.Number() }, closed),
      Type.Null(),
    ]),
  },
  closed,
);
/** One proc in a presence entry. */
export type PresenceProcV1 = Static<typeof PresenceProcSchema>;

/** The schema of the JSON value under key `<id>` in DOCCTL_WORKERS (PresenceV1). */
export const PresenceSchema = Type.Object({
  v: Type.Literal(1),
  id: Type.String({ minLength: 1 }),
  host: Type.String(),
  pid: Type.Number(),
  version: Type.String(),
  /** ms since epoch */
  started_at: Type.Number(),
  /** ms since epoch of this refresh */
  updated_at: Type.Number(),
  state: Type.String(),
  /** jobs in flight over all procs */
  in_flight: Type.Number(),
  procs: Type.Array(PresenceProcSchema),
  labels: Type.Record(Type.String(), Type.String()),
  /** the job types this worker serves (optional: absent from workers before it was added) */
  handlers: Type.Optional(Type.Array(Type.String())),
});
/** The JSON value under key `<id>` in DOCCTL_WORKERS, and the body of every control reply's `worker`. */
export type PresenceV1 = Static<typeof PresenceSchema>;
const presenceCheck = checker(PresenceSchema);

// A progress report from a presence entry: only the fields of their types.
function progressOf(p: Record<string, unknown>): JobProgressV1 {
  const out: JobProgressV1 = {};
  for (const k of ["fraction", "done", "total"] as const) if (typeof p[k] === "number") out[k] = p[k] as number;
  if (typeof p.message === "string") out.message = p.message;
  return out;
}

/** The reply to a control request. */
export type ControlReplyV1 =
  | { ok: true; verb: ControlVerb; worker: PresenceV1 }
  | { ok: false; id: string; error: { code: "UNKNOWN_VERB"; message: string } };

/** A presence entry not rewritten for this long (two refreshes missed) belongs to a worker that stopped answering. */
export const PRESENCE_STALE_MS = 12_000;


const str = (v: unknown, d = ""): string => (typeof v === "string" ? v : d);
const num = (v: unknown, d = 0): number => (typeof v === "number" && Number.isFinite(v) ? v : d);
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * A presence entry as readers may use it, or undefined when it is not one: an id and a procs list
 * are required, every other field gets a safe default. Readers (status, the dashboard, the scaler)
 * then never fail on one foreign or damaged entry.
 */
export function parsePresence(v: unknown): PresenceV1 | undefined {
  if (presenceCheck.check(v)) return v as PresenceV1;
  // What a schema cannot do: repair. An entry that does not fit is rebuilt field by field with safe
  // defaults (a foreign or older worker's entry still shows), or refused without an id and procs.
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (o.v !== 1 || typeof o.id !== "string" || !o.id || !Array.isArray(o.procs)) return undefined;
  const procs: PresenceProcV1[] = o.procs
    .filter((p): p is Record<string, unknown> => !!p && typeof p === "object" && !Array.isArray(p))
    .map((p) => ({
      name: str(p.name, "?"),
      handler: typeof p.handler === "string" ? p.handler : null,
      pid: numOrNull(p.pid),
      state: str(p.state, "UNKNOWN"),
      loop: typeof p.loop === "string" ? p.loop : null,
      restarts: num(p.restarts),
      ...(typeof p.watchdog_kills === "number" ? { watchdog_kills: num(p.watchdog_kills) } : {}),
      ...(typeof p.last_kill === "string" ? { last_kill: p.last_kill.slice(0, 300) } : {}),
      jobs_done: num(p.jobs_done),
      jobs_failed: num(p.jobs_failed),
      in_flight: (Array.isArray(p.in_flight) ? p.in_flight : [])
        .filter((j): j is Record<string, unknown> => !!j && typeof j === "object")
        .map((j) => ({
          id: str(j.id, "?"),
          handler: str(j.handler, "?"),
          age_ms: num(j.age_ms),
          // job control's optional fields, kept only when well-typed
          ...(typeof j.batch === "string" ? { batch: j.batch } : {}),
          ...(typeof j.attempt === "number" ? { attempt: j.attempt } : {}),
          ...(typeof j.started_at === "number" ? { started_at: j.started_at } : {}),
          ...(j.progress && typeof j.progress === "object" && !Array.isArray(j.progress) ? { progress: progressOf(j.progress as Record<string, unknown>) } : {}),
        })),
      started_at: numOrNull(p.started_at),
      last_exit:
        p.last_exit && typeof p.last_exit === "object"
          ? (() => {
              const e = p.last_exit as Record<string, unknown>;
              return { code: numOrNull(e.code), signal: typeof e.signal === "string" ? e.signal : null, ran_ms: num(e.ran_ms), planned: e.planned === true, at: num(e.at) };
            })()
          : null,
    }));
  const labels: Record<string, string> = {};
  if (o.labels && typeof o.labels === "object") for (const [k, x] of Object.entries(o.labels)) if (typeof x === "string") labels[k] = x;
  return {
    ...(o as unknown as PresenceV1),
    v: 1,
    id: o.id,
    host: str(o.host),
    pid: num(o.pid),
    version: str(o.version),
    started_at: num(o.started_at),
    updated_at: num(o.updated_at),
    state: str(o.state, "unknown"),
    in_flight: num(o.in_flight),
    procs,
    labels,
  };
}
