// Job-control records kept in KV buckets: cancel markers, fleet-wide limits, schedules (JSON values).
import { Type, type Static } from "@sinclair/typebox";
import { checker } from "./schema.ts";

/** `DOCCTL_CANCEL` key `<job id>`: the job must not run, or must stop. */
export interface CancelV1 {
  v: 1;
  /** ms since epoch */
  at: number;
  /** who asked (host/pid of the canceller) */
  by?: string;
}

// A limit's shape is one TypeBox schema: LimitV1 is derived from it and parseLimit checks with it.
// Every message names the key (`limit "<key>" ...`), so the label ignores the path.
const count = Type.Integer({ minimum: 1 });
/** The schema of a `DOCCTL_LIMITS` value (LimitV1). */
export const LimitSchema = Type.Object(
  {
    v: Type.Literal(1, { problem: "{at} has version {json}, not 1" }),
    handler: Type.String({ problem: '{at} has no "handler"' }),
    /** at most this many jobs of the handler running at once, fleet-wide */
    concurrency: Type.Optional(Type.Integer({ minimum: 1, problem: '{at} has "concurrency" {json}: a whole number of at least 1 is needed' })),
    /** at most `count` jobs started per `per_ms`, fleet-wide (evenly spaced: one every per_ms/count) */
    rate: Type.Optional(
      Type.Object(
        { count, per_ms: Type.Number({ exclusiveMinimum: 0 }) },
        { problem: '{at} has "rate" {json}: {count, per_ms}: a whole count of at least 1 per a period over 0 ms is needed' },
      ),
    ),
  },
  { problem: { type: "{at} is not a JSON object" } },
);
/** `DOCCTL_LIMITS` key `<handler>`: limits that hold across every worker of the fleet. */
export type LimitV1 = Static<typeof LimitSchema>;
const limitCheck = checker(LimitSchema);

/** A DOCCTL_LIMITS value (JSON text) checked: the limit, or what is wrong with it (said as `limit "<key>" ...`). */
export function parseLimit(text: string, key: string): { ok: true; value: LimitV1 } | { ok: false; problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // SyntaxError, the only thing JSON.parse throws: said as the problem
    return { ok: false, problem: `limit "${key}" is not JSON` };
  }
  if (limitCheck.check(v)) return { ok: true, value: v as LimitV1 };
  return { ok: false, problem: limitCheck.problem(v, () => `limit "${key}"`) ?? `limit "${key}" is not a v1 limit` };
}

/** `DOCCTL_SCHEDULES` key `<name>`: a job file fired on a cron expression or every N ms. */
export interface ScheduleV1 {
  v: 1;
  name: string;
  /** a cron expression (5 fields, or 6 with seconds first) */
  cron?: string;
  /** IANA time zone of the cron expression (default UTC) */
  tz?: string;
  /** fire every this many ms, counted from `created_at` */
  every_ms?: number;
  /** the job file's JSON (one job, an array, a batch or a chain), as `docctl submit` reads it */
  job: unknown;
  /** ms since epoch */
  created_at: number;
  /** how many schedule messages fire it (`docctl.schedule.<name>.0` ..): one per job the file publishes */
  jobs?: number;
  /** paused (`docctl schedule pause`): its schedule messages are removed until resumed */
  paused?: boolean;
}

/** `DOCCTL_SCHEDULES` key `last.<name>`: the latest tick of a schedule a worker finished (written with its result). */
export interface ScheduleRunV1 {
  v: 1;
  /** the tick, ms since epoch (the job ids carry it) */
  tick: number;
  /** the job whose result this is */
  id: string;
  ok: boolean;
  /** the error code of a failed result */
  code?: string;
  /** ms since epoch */
  finished_at: number;
}
