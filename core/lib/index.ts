// The docctl package: submit jobs (Client), run handlers in your own process (Worker), declare
// handlers (defineHandler), the errors it throws (DocctlError and its subclasses, each with a `code`),
// and the v1 wire types. Runs on Node 20+ and Bun.
export {
  Client,
  clientDefaults,
  type ClientOptions,
  type ClientStatus,
  type JobOptions,
  type SubmitOptions,
  type EnqueueOptions,
  type SubmitBatchOptions,
  type StreamBatchOptions,
  type ChainStep,
  type ThenStep,
  type JobProgressEvent,
} from "./client.ts";
export type { JobState } from "../runtime/client/job-state.ts";
export type { JobInfo, JobProgress, RunningJob, WorkerStats } from "./shapes.ts";
export type { JobQuery } from "../runtime/client/job-index.ts";
export type { JobPage } from "./client.ts";
export type { JobLogLineV1 as JobLogLine } from "../runtime/protocol/job-log.ts";
export type { JobEvent, EventKind, EventFeed } from "../runtime/client/events.ts";
export type { CancelOutcome } from "../runtime/client/cancel.ts";
export type { UpdateOutcome } from "../runtime/client/update-data.ts";
export { Worker, type WorkerOptions } from "./worker.ts";
export {
  defineHandler,
  type Handler,
  type PayloadOf,
  type ResultOf,
  type HandlerMap,
  type UntypedHandlers,
  type HandlerName,
  type PayloadFor,
  type ResultFor,
  type IsUntyped,
} from "./handler.ts";
export { ResultTimeoutError, NatsUnreachableError, JobFailedError, type JobResult } from "./result.ts";
export {
  DocctlError,
  UnreachableError,
  AuthError,
  InputError,
  ConfigError,
  TimeoutError,
  CancelledError,
  ServerError,
  ServerVersionError,
  StreamUnavailableError,
  type DocctlErrorCode,
} from "../runtime/protocol/errors.ts";
export type { NatsTarget } from "./connection.ts";
export type { LibLogger } from "./logger.ts";
export type { NatsAuth } from "../runtime/nats/connection.ts";
export type { TopologyOptions } from "../runtime/nats/topology.ts";
export type { Backoff } from "../runtime/util/backoff.ts";
export * from "./wire.ts";
