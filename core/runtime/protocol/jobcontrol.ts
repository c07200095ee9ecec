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
}
