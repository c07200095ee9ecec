// The v1 wire contract (docs/protocol.md) as types, plus the error codes and JobError a handler throws.
export type { JobV1, ResultV1, DeadLetterV1 } from "../runtime/protocol/codec.ts";
export type { Logger, LogFields } from "../runtime/protocol/logger.ts";
export type { JobContext, OutputRefV1, PayloadSchema, HandlerDef, HandlerModule } from "../runtime/protocol/types.ts";
export { ErrorCodes, JobError, type WireError } from "../runtime/protocol/errors.ts";
export { taskSubject, resultSubject, deadSubject, STREAM_TASKS, STREAM_RESULTS, STREAM_DEAD, BUCKET_OUTPUTS } from "../runtime/protocol/subjects.ts";
export type { ControlReplyV1, ControlVerb, PresenceV1 } from "../runtime/protocol/control.ts";
