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

/**
 * What went wrong, as a stable string a program can branch on (`err.code`), for every error docctl
 * itself throws (jobs' own failures travel as {@link WireError} codes instead):
 *
 * - `"UNREACHABLE"`: NATS could not be reached ({@link UnreachableError}: a Worker's start, the CLI)
 * - `"NATS_UNREACHABLE"`: a Client call or wait could not reach NATS within its `unreachableGraceMs` (`NatsUnreachableError` in `docctl`, an UnreachableError)
 * - `"STREAM_UNAVAILABLE"`: a docctl stream has no leader: the servers holding it are down ({@link StreamUnavailableError})
 * - `"NATS_SERVER_TOO_OLD"`: the server is older than docctl needs ({@link ServerVersionError})
 * - `"AUTH"`: NATS refused the credentials, or wanted some ({@link AuthError})
 * - `"INPUT"`: a bad argument or input: an id, a priority, a handler nobody registered, a job file ({@link InputError})
 * - `"CONFIG"`: a bad option or setting ({@link ConfigError})
 * - `"TIMEOUT"`: a wait ran out ({@link TimeoutError})
 * - `"RESULT_TIMEOUT"`: results did not all arrive in time; those that did are on the error ({@link ResultTimeoutError} in `docctl`)
 * - `"CANCELLED"`: the job was cancelled ({@link CancelledError})
 * - `"JOB_FAILED"`: the job ended with a failed result (`JobFailedError` in `docctl`, thrown by `Client.run`)
 * - `"SERVER"`: NATS answered but cannot do it: its store is full, a limit is reached ({@link ServerError})
 * - `"CLOSED"`: the Client or Worker was closed
 */
export type DocctlErrorCode = "UNREACHABLE" | "NATS_UNREACHABLE" | "STREAM_UNAVAILABLE" | "NATS_SERVER_TOO_OLD" | "AUTH" | "INPUT" | "CONFIG" | "TIMEOUT" | "RESULT_TIMEOUT" | "CANCELLED" | "JOB_FAILED" | "SERVER" | "CLOSED";

/**
 * The base of every error docctl throws: `err instanceof DocctlError`, then switch on `err.code`.
 * `name` is set explicitly in each class, so it survives bundlers and minifiers.
 */
export class DocctlError extends Error {
  /** what went wrong, stable across versions: see {@link DocctlErrorCode} */
  readonly code: DocctlErrorCode;
  constructor(code: DocctlErrorCode, message: string, opts?: ErrorOptions) {
    super(message, opts);
    this.code = code;
    this.name = "DocctlError";
  }
}

/** Bad configuration or command-line input: names the option (`option`); the CLI exits with code 2. Code `"CONFIG"` (`"AUTH"` for {@link AuthError}). */
export class ConfigError extends DocctlError {
  /** the option or setting at fault, when one is */
  option?: string;
  constructor(message: string, option?: string, opts?: ErrorOptions & { code?: "CONFIG" | "AUTH" }) {
    super(opts?.code ?? "CONFIG", message, opts);
    this.option = option;
    this.name = "ConfigError";
  }
}

/** Bad input (an id, a priority, a job file, a layout, an unknown handler ...): the message says what, where and what to do. Code `"INPUT"`; the CLI exits with 2. */
export class InputError extends DocctlError {
  constructor(message: string, opts?: ErrorOptions) {
    super("INPUT", message, opts);
    this.name = "InputError";
  }
}

/** NATS refused our credentials (or asked for some we did not give). Code `"AUTH"`; a ConfigError too (the CLI exits with 2, like other bad configuration). */
export class AuthError extends ConfigError {
  constructor(message: string, opts?: ErrorOptions) {
    super(message, "nats-user", { ...opts, code: "AUTH" });
    this.name = "AuthError";
  }
}

/** NATS could not be reached. Code `"UNREACHABLE"` (`"NATS_UNREACHABLE"` for the Client's NatsUnreachableError); the CLI exits with 4. */
export class UnreachableError extends DocctlError {
  constructor(message: string, opts?: ErrorOptions & { code?: "UNREACHABLE" | "NATS_UNREACHABLE" | "STREAM_UNAVAILABLE" }) {
    super(opts?.code ?? "UNREACHABLE", message, opts);
    this.name = "UnreachableError";
  }
}

/**
 * A docctl stream has no leader (its only server is down, or a majority of its replicas): NATS is
 * reachable but jobs or results cannot be written or read there. Code `"STREAM_UNAVAILABLE"`; the CLI
 * exits with 4, like NATS unreachable.
 */
export class StreamUnavailableError extends UnreachableError {
  /** the streams without a leader */
  streams: string[];
  constructor(message: string, streams: string[], opts?: ErrorOptions) {
    super(message, { ...opts, code: "STREAM_UNAVAILABLE" });
    this.streams = streams;
    this.name = "StreamUnavailableError";
  }
}

/** NATS answered but cannot do it (its store is full, a limit is reached): the message says what to do. Code `"SERVER"`; the CLI exits with 1, no stack. */
export class ServerError extends DocctlError {
  constructor(message: string, opts?: ErrorOptions) {
    super("SERVER", message, opts);
    this.name = "ServerError";
  }
}

/**
 * The NATS server is older than docctl needs (2.14): `code` is stable for library users; the CLI exits 2
 * (one-shot commands) or 1 (daemons), naming both versions and how to upgrade.
 */
export class ServerVersionError extends DocctlError {
  /** the server's version, as it reported it */
  found: string;
  /** the oldest version docctl accepts */
  required: string;
  constructor(message: string, found: string, required: string, opts?: ErrorOptions) {
    super("NATS_SERVER_TOO_OLD", message, opts);
    this.found = found;
    this.required = required;
    this.name = "ServerVersionError";
  }
}

/** A wait ran out. Code `"TIMEOUT"` (`"RESULT_TIMEOUT"` for ResultTimeoutError, which carries the results that came). */
export class TimeoutError extends DocctlError {
  constructor(message: string, opts?: ErrorOptions & { code?: "TIMEOUT" | "RESULT_TIMEOUT" }) {
    super(opts?.code ?? "TIMEOUT", message, opts);
    this.name = "TimeoutError";
  }
}

/** The job was cancelled (`client.cancel()`, `docctl cancel`) before or while it ran. Code `"CANCELLED"`. */
export class CancelledError extends DocctlError {
  /** the cancelled job's id, when known */
  readonly id?: string;
  constructor(message: string, opts?: ErrorOptions & { id?: string }) {
    super("CANCELLED", message, opts);
    this.id = opts?.id;
    this.name = "CancelledError";
  }
}

/**
 * Gives classes their source names back: bundlers rename classes that collide (Bun's splitting makes
 * `InputError2`), and `err.constructor.name` is what loggers and `util.inspect` print.
 */
export function keepClassNames(classes: Record<string, abstract new (...a: never[]) => unknown>): void {
  for (const [name, c] of Object.entries(classes)) Object.defineProperty(c, "name", { value: name, configurable: true });
}
keepClassNames({ JobError, DocctlError, ConfigError, InputError, AuthError, UnreachableError, ServerError, ServerVersionError, StreamUnavailableError, TimeoutError, CancelledError });

/** Stack frames kept of a handler's error, at most. */
export const MAX_STACK_FRAMES = 20;

/**
 * Where a handler's error came from, for people: the frames of its stack that are the handler's own
 * (plugin files at file:line:column; Bun maps a .ts plugin's lines to its source), without docctl's
 * frames (the compiled binary's `/$bunfs/`, `core/runtime/`) or the runtime's and dependencies'.
 * Undefined when the error has no stack or none of its frames are the handler's.
 */
export function handlerStack(err: unknown): string | undefined {
  const stack = err && typeof err === "object" ? (err as { stack?: unknown }).stack : undefined;
  if (typeof stack !== "string") return undefined;
  const frames = stack
    .split("\n")
    .filter((l) => /^\s+at /.test(l))
    .map((l) => l.trim())
    .filter((l) => !/\$bunfs|\/core\/runtime\/|\/core\/lib\/|node_modules|node:internal|native:|\(native\)|<anonymous>$|bun:wrap/.test(l));
  if (!frames.length) return undefined;
  return frames.slice(0, MAX_STACK_FRAMES).join("\n");
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
      // a thrown object whose message getter or toString throws: said as such, never a crash here
      message = "(an error that cannot be shown as text)";
    }
    // docctl's own errors (a handler using a Client) keep the handler-error treatment they always had:
    // their codes are about the call, not the job, and "unreachable" must stay retryable.
    if (typeof e.code === "string" && !(err instanceof DocctlError)) {
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
