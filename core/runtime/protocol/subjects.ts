// Names on the wire: streams, subjects, consumers, buckets. Part of the v1 contract (docs/protocol.md).

/** The work-queue stream of jobs (docctl.tasks.>). */
export const STREAM_TASKS = "DOCCTL_TASKS";
/** The stream of results (docctl.results.<batch>.<id>). */
export const STREAM_RESULTS = "DOCCTL_RESULTS";
/** The stream of dead letters (docctl.dead.<handler>). */
export const STREAM_DEAD = "DOCCTL_DEAD";
/** The object store bucket of documents too big for a result message. */
export const BUCKET_OUTPUTS = "DOCCTL_OUTPUTS";
export const BUCKET_WORKERS = "DOCCTL_WORKERS";
/**
 * Where docctl before 2.14 kept delayed jobs (`docctl.delayed.<id>`): read once, by the migration that
 * turns them into `@at` schedules (nats/delayed-migration.ts), then deleted. Nothing else reads it.
 */
export const STREAM_DELAYED = "DOCCTL_DELAYED";
/** the latest progress of each running job (`docctl.progress.<batch>.<id>`, one message per subject) */
export const STREAM_PROGRESS = "DOCCTL_PROGRESS";
/** cancel markers, key = job id */
export const BUCKET_CANCEL = "DOCCTL_CANCEL";
/** fleet-wide limits per handler, key = handler */
export const BUCKET_LIMITS = "DOCCTL_LIMITS";
/** concurrency slots (`slot.<handler>.<i>`) and rate reservations (`rate.<handler>`) of limited handlers */
export const BUCKET_LIMIT_SLOTS = "DOCCTL_LIMIT_SLOTS";
/** schedules' descriptions, key = schedule name, and their last runs, key `last.<name>` (the server fires them) */
export const BUCKET_SCHEDULES = "DOCCTL_SCHEDULES";
/** handlers known to the fleet, key = handler (HandlerInfoV1) */
export const BUCKET_HANDLERS = "DOCCTL_HANDLERS";
/** templates (object store) */
export const BUCKET_TEMPLATES = "DOCCTL_TEMPLATES";
/** the managers' leader lease and the leader's status (KV) */
export const BUCKET_MANAGER = "DOCCTL_MANAGER";
/** workers started by a manager's local provider, key = worker id (KV; see core/scaler/providers/local.ts) */
export const BUCKET_LOCAL_WORKERS = "DOCCTL_LOCAL_WORKERS";

/** Job priorities; `normal` is the v1 subject, the others have a subject and a consumer of their own. */
export const PRIORITIES = ["high", "normal", "low"] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The subject a job of `handler` is published on (normal priority). */
export const taskSubject = (handler: string) => `docctl.tasks.${handler}`;
/** The subject the result of job `id` of `batch` is published on. */
export const resultSubject = (batch: string, id: string) => `docctl.results.${batch}.${id}`;
/** The subject dead letters of `handler` are published on. */
export const deadSubject = (handler: string) => `docctl.dead.${handler}`;
/** durable pull consumer of one handler on DOCCTL_TASKS */
export const consumerName = (handler: string) => `docctl-${handler}`;
/** the task subject of a job of `priority`: normal is the v1 subject, high and low add a token */
export const prioritySubject = (handler: string, priority?: Priority) =>
  !priority || priority === "normal" ? taskSubject(handler) : `docctl.tasks.${handler}.${priority}`;
/** the consumer of one handler's jobs of one priority (`docctl-<h>`, `docctl_high-<h>`, `docctl_low-<h>`) */
export const priorityConsumer = (handler: string, priority: Priority) => (priority === "normal" ? consumerName(handler) : `docctl_${priority}-${handler}`);
/**
 * A delayed job in DOCCTL_TASKS: an `@at` schedule message (`Nats-Schedule`, `Nats-Schedule-Target` its
 * task subject) that the server turns into the job on its task subject at `run_at`.
 */
export const delaySubject = (id: string) => `${DELAY_PREFIX}${id}`;
export const DELAY_PREFIX = "docctl.delay.";
/** The `i`th job of schedule `name` in DOCCTL_TASKS: a cron/`@every` schedule message the server fires. */
export const scheduleSubject = (name: string, i: number | "*") => `${SCHEDULE_PREFIX}${name}.${i}`;
export const SCHEDULE_PREFIX = "docctl.schedule.";
/** Every job of schedule `name` (for purges and listing). */
export const scheduleSubjects = (name: string) => scheduleSubject(name, "*");
/** Every delayed job waiting in DOCCTL_TASKS (a filter). */
export const ALL_DELAYS = delaySubject("*");
/** Every schedule message in DOCCTL_TASKS (a filter). */
export const ALL_SCHEDULES = scheduleSubjects("*");
export const progressSubject = (batch: string, id: string) => `docctl.progress.${batch}.${id}`;

/**
 * What DOCCTL_TASKS takes: `docctl.tasks.<handler>`, `.high` and `.low`, nothing deeper; and the schedule
 * messages the server fires into them (a schedule's target must be in its own stream): delayed jobs
 * `docctl.delay.<id>` (`@at`) and schedules `docctl.schedule.<name>.<i>` (cron, `@every`).
 */
export const TASK_STREAM_SUBJECTS = [taskSubject("*"), prioritySubject("*", "high"), prioritySubject("*", "low"), ALL_DELAYS, ALL_SCHEDULES];
/** Every subject of a stream (its `subjects`, or a filter over all of it). */
export const ALL_TASKS = "docctl.tasks.>";
export const ALL_RESULTS = "docctl.results.>";
export const ALL_DEAD = "docctl.dead.>";
/** the subjects of the old DOCCTL_DELAYED stream (migrated once) */
export const ALL_DELAYED = "docctl.delayed.>";
export const ALL_PROGRESS = "docctl.progress.>";
/** the results of one batch (a filter) */
export const batchResults = (batch: string) => resultSubject(batch, ">");
/** the result of job `id`, whatever its batch (a filter) */
export const resultOfAnyBatch = (id: string) => resultSubject("*", id);
/** the progress reports of one batch (a subscription) */
export const batchProgress = (batch: string) => progressSubject(batch, ">");
/** the dead letters of one handler, or of all (a filter) */
export const deadLetters = (handler?: string) => (handler ? deadSubject(handler) : ALL_DEAD);
/** the prefixes of the task consumers' names (`docctl-`, `docctl_high-`, `docctl_low-`): the handler follows */
export const TASK_CONSUMER_PREFIXES = PRIORITIES.map((p) => priorityConsumer("", p));

/** the dead letters' subject prefix: the handler follows */
export const DEAD_PREFIX = deadSubject("");
/** a handler's jobs of every priority (a filter) */
export const handlerTasks = (handler: string) => `${taskSubject(handler)}.>`;
/** the console's samples of queues (`q`) and work (`w`) per handler, in DOCCTL_HISTORY */
export const STREAM_HISTORY = "DOCCTL_HISTORY";
export const historySubject = (kind: "q" | "w", handler: string) => `docctl.history.${kind}.${handler}`;
export const ALL_HISTORY = "docctl.history.>";
/** the console's audit log of actions, in DOCCTL_AUDIT, one subject per server */
export const STREAM_AUDIT = "DOCCTL_AUDIT";
export const auditSubject = (server: string) => `docctl.audit.${server}`;
export const ALL_AUDIT = "docctl.audit.>";

/** the job index: one entry per job (core/runtime/protocol/job-entry.ts) on `docctl.jobs.<state>.<handler>.<id>.<batch>` */
export const STREAM_JOBS = "DOCCTL_JOBS";
export const jobEntrySubject = (e: { state: string; handler: string; id: string; batch: string }) => `docctl.jobs.${e.state}.${e.handler}.${e.id}.${e.batch}`;
/** a subject filter of index entries; undefined parts are wildcards */
export const jobEntryFilter = (f: { state?: string; handler?: string; id?: string; batch?: string }) =>
  jobEntrySubject({ state: f.state ?? "*", handler: f.handler ?? "*", id: f.id ?? "*", batch: f.batch ?? "*" });
export const ALL_JOBS = "docctl.jobs.>";
/** the index entries of one state */
export const jobsInState = (state: string) => `docctl.jobs.${state}.>`;
/** job log lines (core/runtime/protocol/job-log.ts) on `docctl.logs.<batch>.<id>` */
export const STREAM_LOGS = "DOCCTL_LOGS";
export const logSubject = (batch: string, id: string) => `docctl.logs.${batch}.${id}`;
export const ALL_LOGS = "docctl.logs.>";

/** Request/reply of the control protocol: one worker (`id`) or every worker (`all`), one verb or any (`*`). */
export const controlSubject = (id: string, verb: string) => `docctl.control.${id}.${verb}`;
export const controlAllSubject = (verb: string) => controlSubject("all", verb);

export { TOKEN_RE, RESERVED_TOKENS, TokenSchema, tokenProblem } from "./token.ts";
export { describe } from "./schema.ts";
/** KV bucket of attempt notes: how attempts a supervisor saw end (a crash, the watchdog) ended, per job id */
export const BUCKET_ATTEMPTS = "DOCCTL_ATTEMPTS";
