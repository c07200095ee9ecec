// Job-control records kept in KV buckets: cancel markers, fleet-wide limits, schedules (JSON values).

/** `DOCCTL_CANCEL` key `<job id>`: the job must not run, or must stop. */
export interface CancelV1 {
  v: 1;
  /** ms since epoch */
  at: number;
  /** who asked (host/pid of the canceller) */
  by?: string;
}

/** `DOCCTL_LIMITS` key `<handler>`: limits that hold across every worker of the fleet. */
export interface LimitV1 {
  v: 1;
  handler: string;
  /** at most this many jobs of the handler running at once, fleet-wide */
  concurrency?: number;
  /** at most `count` jobs started per `per_ms`, fleet-wide (evenly spaced: one every per_ms/count) */
  rate?: { count: number; per_ms: number };
}

/** A DOCCTL_LIMITS value (JSON text) checked: the limit, or what is wrong with it (said as `limit "<key>" ...`). */
export function parseLimit(text: string, key: string): { ok: true; value: LimitV1 } | { ok: false; problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, problem: `limit "${key}" is not JSON` };
  }
  const bad = (why: string) => ({ ok: false as const, problem: `limit "${key}" ${why}` });
  if (!v || typeof v !== "object" || Array.isArray(v)) return bad("is not a JSON object");
  const l = v as Record<string, unknown>;
  if (l.v !== 1) return bad(`has version ${JSON.stringify(l.v)}, not 1`);
  if (typeof l.handler !== "string") return bad(`has no "handler"`);
  const count = (x: unknown) => typeof x === "number" && Number.isInteger(x) && x > 0;
  if (l.concurrency !== undefined && !count(l.concurrency)) return bad(`has "concurrency" ${JSON.stringify(l.concurrency)}: a whole number of at least 1 is needed`);
  if (l.rate !== undefined) {
    const r = l.rate as Record<string, unknown> | null;
    if (!r || typeof r !== "object" || !count(r.count) || !(typeof r.per_ms === "number" && r.per_ms > 0)) return bad(`has "rate" ${JSON.stringify(l.rate)}: {count, per_ms}: a whole count of at least 1 per a period over 0 ms is needed`);
  }
  return { ok: true, value: l as unknown as LimitV1 };
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
