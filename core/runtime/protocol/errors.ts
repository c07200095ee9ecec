// Typed errors with stable codes. Job error codes are part of the wire contract (docs/protocol.md).

/** Error codes a failed result can carry. */
export const ErrorCodes = {
  /** the handler threw an error without a code (retryable) */
  HANDLER_ERROR: "HANDLER_ERROR",
  /** the payload failed the handler's schema (not retryable) */
  BAD_PAYLOAD: "BAD_PAYLOAD",
  /** the message on the task subject could not be decoded as a v1 job (not retryable) */
  BAD_MESSAGE: "BAD_MESSAGE",
  /** no handler of that type is registered in the worker that received it (not retryable) */
  UNKNOWN_HANDLER: "UNKNOWN_HANDLER",
  /** an attempt ran past its time limit (retryable) */
  TIMEOUT: "TIMEOUT",
  /** the job was delivered more times than its attempts allow, e.g. because it kept killing procs */
  ATTEMPTS_EXHAUSTED: "ATTEMPTS_EXHAUSTED",
  /** the handler's return value cannot be msgpack-encoded (a BigInt, a circular object, too deep) (not retryable) */
  RESULT_UNENCODABLE: "RESULT_UNENCODABLE",
  /** the encoded result is over the server's max_payload; big documents belong in ctx.output() (not retryable) */
  RESULT_TOO_LARGE: "RESULT_TOO_LARGE",
  /** the job was cancelled (`docctl cancel`) before or while it ran (not retryable, no dead letter) */
  CANCELLED: "CANCELLED",
  /** a workflow step failed: the chain's final result, or a batch's reduce step when an item failed */
  WORKFLOW_FAILED: "WORKFLOW_FAILED",
} as const;

/** Error messages travel at most this long (characters); the rest is cut, saying how much. */
export const MAX_ERROR_MESSAGE = 4096;

/**
 * An error code is at most this long, upper-case letters, digits and `_`, starting with a letter. A
 * thrown code that is not one becomes HANDLER_ERROR with the code (cut) in the message: a 2 MB code
 * once made the result unsendable, and the job ran again at every ack wait.
 */
export const MAX_ERROR_CODE = 64;
const CODE_RE = /^[A-Z][A-Z0-9_]*$/;

/** Why `code` is not a valid error code, or undefined. */
export function errorCodeProblem(code: string): string | undefined {
  if (code.length > MAX_ERROR_CODE) return `longer than ${MAX_ERROR_CODE} characters`;
  if (!CODE_RE.test(code)) return "not upper-case letters, digits and _ starting with a letter";
  return undefined;
}

/** A job failure a handler can throw on purpose: `code` is stable, `retryable` decides retry vs. dead letter. */
export class JobError extends Error {
  code: string;
  retryable: boolean;
  constructor(code: string, message: string, opts?: ErrorOptions & { retryable?: boolean }) {
    super(message, opts);
    this.code = code;
    this.retryable = opts?.retryable ?? false;
    this.name = "JobError";
  }
}

/** Bad configuration or command-line input: names the option, exits with code 2. */
export class ConfigError extends Error {
  option?: string;
  constructor(message: string, option?: string, opts?: ErrorOptions) {
    super(message, opts);
    this.option = option;
    this.name = "ConfigError";
  }
}

/** Bad user input (a job file, a layout ...): the message says what, where and what to do. Exit code 2. */
export class InputError extends Error {
  constructor(message: string, opts?: ErrorOptions) {
    super(message, opts);
    this.name = "InputError";
  }
}

/** NATS refused our credentials (or asked for some we did not give): exit code 2, like other bad configuration. */
export class AuthError extends ConfigError {
  constructor(message: string, opts?: ErrorOptions) {
    super(message, "nats-user", opts);
    this.name = "AuthError";
  }
}

/** NATS could not be reached: exit code 4. */
export class UnreachableError extends Error {
  constructor(message: string, opts?: ErrorOptions) {
    super(message, opts);
    this.name = "UnreachableError";
  }
}

/** NATS answered but cannot do it (its store is full, a limit is reached): the message says what to do. Exit code 1, no stack. */
export class ServerError extends Error {
  constructor(message: string, opts?: ErrorOptions) {
    super(message, opts);
    this.name = "ServerError";
  }
}

/**
 * The NATS server is older than docctl needs (2.14): `code` is stable for library users; the CLI exits 2
 * (one-shot commands) or 1 (daemons), naming both versions and how to upgrade.
 */
export class ServerVersionError extends Error {
  readonly code = "NATS_SERVER_TOO_OLD";
  /** the server's version, as it reported it */
  found: string;
  /** the oldest version docctl accepts */
  required: string;
  constructor(message: string, found: string, required: string, opts?: ErrorOptions) {
    super(message, opts);
    this.found = found;
    this.required = required;
    this.name = "ServerVersionError";
  }
}

/** The shape of an error as it travels in a result. */
export interface WireError {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * Turns anything a handler threw into a wire error. Plugins cannot import JobError from the
 * compiled binary, so any Error (or object) with a string `code` and optional boolean `retryable`
 * counts; a plain Error is HANDLER_ERROR and retryable.
 */
export function toWireError(err: unknown): WireError {
  const w = wireErrorOf(err);
  return { ...w, message: clipMessage(w.message) };
}

/** `s` cut to MAX_ERROR_MESSAGE characters, saying how much was left out (a 2 MB message made results unsendable). */
export function clipMessage(s: string, max = MAX_ERROR_MESSAGE): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length - max} more characters)`;
}

function wireErrorOf(err: unknown): WireError {
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown; retryable?: unknown };
    let message: string;
    try {
      message = typeof e.message === "string" && e.message ? e.message : String(err);
    } catch {
      message = "(an error that cannot be shown as text)";
    }
    if (typeof e.code === "string") {
      const bad = errorCodeProblem(e.code);
      if (!bad) return { code: e.code, message, retryable: e.retryable === true };
      // The handler meant a coded failure: keep its retryable, and its code (cut) where people read it.
      const shown = e.code.length > 100 ? `${e.code.slice(0, 100)}… (${e.code.length} characters)` : e.code;
      return { code: ErrorCodes.HANDLER_ERROR, message: `${clipMessage(message, MAX_ERROR_MESSAGE - 400)} [error code ${JSON.stringify(shown)} is ${bad}]`, retryable: e.retryable === true };
    }
    return { code: ErrorCodes.HANDLER_ERROR, message, retryable: e.retryable !== false };
  }
  return { code: ErrorCodes.HANDLER_ERROR, message: String(err), retryable: true };
}

// JetStream API error codes (nats-server's errors.json) that mean "no room to store this".
const STORE_FULL_CODES = new Set([
  10023, // JSInsufficientResourcesErr: insufficient resources
  10028, // JSMemoryResourcesExceededErr
  10047, // JSStorageResourcesExceededErr: insufficient storage resources available
  10077, // JSStreamStoreFailedF: error with store (maximum bytes / messages exceeded, disk errors)
]);

/**
 * A sentence for people when a JetStream publish failed because the server cannot store the message
 * (disk full, account or stream limits reached); undefined for other errors.
 */
export function storeProblem(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  if (!e || typeof e !== "object") return undefined;
  const code = typeof e.code === "number" ? e.code : Number.NaN;
  if (STORE_FULL_CODES.has(code)) {
    return (
      `NATS JetStream cannot store the message: ${String(e.message)} (JetStream error ${code}). The server's disk or its ` +
      `JetStream limits (max_file_store, the account's or the stream's max_bytes/max_msgs) are full: free space or raise ` +
      `the limit; the job is kept and tried again`
    );
  }
  return e.cause !== undefined && e.cause !== err ? storeProblem(e.cause) : undefined;
}
