// NATS failures classified by the client's own error classes and JetStream API codes, never by
// matching names or messages (which change between client versions and languages).
import { JetStreamApiCodes, JetStreamApiError, JetStreamError } from "@nats-io/jetstream";
import { errors } from "@nats-io/transport-node";

/** JetStream API codes docctl reacts to that nats.js does not name (nats-server's errors.json). */
export const MoreJetStreamApiCodes = {
  /** JSStreamNameExistErr: "stream name already in use with a different configuration" */
  StreamNameInUse: 10058,
  /** JSConsumerNameExistErr: "consumer name already in use" */
  ConsumerNameInUse: 10013,
  /** JSConsumerAlreadyExists: "consumer already exists" (with another configuration) */
  ConsumerAlreadyExists: 10148,
  /** JSClusterNoPeersErrF: "no suitable peers for placement" (a cluster still forming, or a node down for an R3 create) */
  ClusterNoPeers: 10005,
  /** JSInsufficientResourcesErr: "insufficient resources" (no server has room) */
  InsufficientResources: 10023,
  /** JSStreamMsgDeleteFailedF: a delete of a message that is not there ("no message found", "stream store EOF") */
  StreamMsgDeleteFailed: 10057,
} as const;

// Follows `cause` links: nats.js wraps a no-responders or a timeout in RequestError / JetStreamNotEnabled.
function* chain(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  for (let e = err; e && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    yield e;
  }
}

/** The JetStream API error in `err` or its causes. */
function apiError(err: unknown): JetStreamApiError | undefined {
  for (const e of chain(err)) if (e instanceof JetStreamApiError) return e;
  return undefined;
}

/** The JetStream API error code in `err` or its causes, if any. */
export function apiErrorCode(err: unknown): number | undefined {
  return apiError(err)?.code;
}

/** True for JetStream "stream not found" or "consumer not found". */
export function isNotFound(err: unknown): boolean {
  const code = apiError(err)?.code;
  return code === JetStreamApiCodes.StreamNotFound || code === JetStreamApiCodes.ConsumerNotFound;
}

/** True when a stream has no message where one was asked for (STREAM.MSG.GET: 10037), not a failure. */
export function isNoMessage(err: unknown): boolean {
  return apiError(err)?.code === JetStreamApiCodes.NoMessageFound;
}

/** True when a message delete found no message at that sequence (taken or deleted meanwhile): 10057. */
export function isDeleteOfNoMessage(err: unknown): boolean {
  return apiError(err)?.code === MoreJetStreamApiCodes.StreamMsgDeleteFailed;
}

/** True when a create lost a race with another process creating the same stream or consumer. */
export function isAlreadyExists(err: unknown): boolean {
  const code = apiError(err)?.code;
  return code === MoreJetStreamApiCodes.StreamNameInUse || code === MoreJetStreamApiCodes.ConsumerNameInUse || code === MoreJetStreamApiCodes.ConsumerAlreadyExists;
}

/** True when a request found nobody subscribed to its subject (not: a subscriber too slow to answer). */
export function isNoResponders(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e instanceof errors.NoRespondersError) return true;
    if (e instanceof errors.RequestError && e.isNoResponders()) return true;
  }
  return false;
}

/** True when nobody answered a request: no responders, or the wait timed out. */
export function isNoAnswer(err: unknown): boolean {
  if (isNoResponders(err)) return true;
  for (const e of chain(err)) if (e instanceof errors.TimeoutError) return true;
  return false;
}

/**
 * True when a NATS request failed because the server was away or busy (a restart, a reconnect, a
 * cluster electing a stream leader): the same request may succeed later. False for answers that
 * will not change (a closed connection, a payload too big, a permission denied).
 */
// JetStream API error codes (nats-server's errors.json) that mean "no room to store this": insufficient
// resources, memory or storage resources exceeded, error with store.
const STORE_FULL_API_CODES = new Set([10023, 10028, 10047, 10077]);

export function isTransientNatsError(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e instanceof errors.ClosedConnectionError || e instanceof errors.DrainingConnectionError) return false;
    if (e instanceof errors.PermissionViolationError || e instanceof errors.AuthorizationError) return false;
    if (e instanceof errors.TimeoutError || e instanceof errors.NoRespondersError || e instanceof errors.ConnectionError) return true;
    if (e instanceof errors.RequestError && e.isNoResponders()) return true;
    // A stream without a leader (election, restart) answers 503. JetStream that does not answer at
    // all surfaces as JetStreamNotEnabled caused by a no-responders RequestError (seen through its cause).
    // "insufficient resources" and other store-full answers are 503 too, but they do not pass by
    // themselves: retrying them only hid the cause until the submit's timeout.
    // "No suitable peers" is a 400, but it passes: the cluster's nodes are still joining (all booted
    // together) or one is down while replicated streams are created; the worker waited for them.
    if (e instanceof JetStreamApiError && e.code === MoreJetStreamApiCodes.ClusterNoPeers) return true;
    if (e instanceof JetStreamApiError) return (e.status === 503 || e.status === 408) && !STORE_FULL_API_CODES.has(e.code);
    // JetStreamStatusError (a pull's status) is a JetStreamError with the status as its code
    if (e instanceof JetStreamError && "code" in e) return e.code === 503 || e.code === 408;
  }
  return false;
}

/** True when NATS refused our credentials. */
export function isAuthFailure(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e instanceof errors.AuthorizationError || e instanceof errors.UserAuthenticationExpiredError) return true;
  }
  return false;
}
