// Opens the NATS connection every mode uses: credentials and TLS from one NatsAuth, and clear errors
// for "nothing listens there" (UnreachableError, exit 4) and "wrong credentials" (AuthError, exit 2).
import { readFileSync } from "node:fs";
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import { AuthError, ConfigError, UnreachableError } from "../protocol/errors.ts";
import { redactUrl } from "../util/redact.ts";
import { isAuthFailure } from "./errors.ts";
import { assertServerVersion } from "./server-version.ts";
import { setWantedReplicas } from "./replicas.ts";
import type { Logger } from "../protocol/logger.ts";

/** How to prove who we are to NATS, and how to check who it is. At most one of user, token, nkeyFile, credsFile. */
export interface NatsAuth {
  /**
   * user name (`--nats-user`, DOCCTL_NATS_USER); needs `password`
   * @defaultValue none
   */
  user?: string;
  /**
   * password (`--nats-password`, DOCCTL_NATS_PASSWORD): never logged
   * @defaultValue none
   */
  password?: string;
  /**
   * token (`--nats-token`, DOCCTL_NATS_TOKEN): never logged
   * @defaultValue none
   */
  token?: string;
  /**
   * file holding an NKey user seed (`SU...`) (`--nats-nkey`)
   * @defaultValue none
   */
  nkeyFile?: string;
  /**
   * a `.creds` file: user JWT plus NKey seed, as `nsc` writes it (`--nats-creds`)
   * @defaultValue none
   */
  credsFile?: string;
  /**
   * PEM CA bundle to check the server's certificate with (`--tls-ca`); any TLS option turns TLS on
   * @defaultValue none
   */
  tlsCa?: string;
  /**
   * PEM client certificate for mutual TLS (`--tls-cert`); needs `tlsKey`
   * @defaultValue none
   */
  tlsCert?: string;
  /**
   * PEM private key of the client certificate (`--tls-key`)
   * @defaultValue none
   */
  tlsKey?: string;
}

/** How to reach NATS. */
export interface NatsOptions {
  /** server URL(s), comma-separated */
  url: string;
  /** connection name shown by the server */
  name?: string;
  /** keep reconnecting forever (workers) instead of failing fast (CLI commands) */
  reconnectForever?: boolean;
  /** credentials and TLS */
  auth?: NatsAuth;
  /** replicas of the streams and buckets created through this connection (undefined: min(3, cluster servers)) */
  replicas?: number;
  /** extra options passed to the client as they are */
  extra?: Partial<NodeConnectionOptions>;
  /** who reads the errors: "cli" (default) names flags and environment variables, "library" the Client/Worker options */
  audience?: "cli" | "library";
}

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/**
 * `auth` as the environment variables docctl reads (DOCCTL_NATS_USER ...): for child processes (local
 * workers, supervised procs), so secrets never appear in their command lines.
 */
export function authEnv(auth: NatsAuth = {}): Record<string, string> {
  return Object.fromEntries(AUTH_ENV_NAMES.filter(([k]) => auth[k] !== undefined).map(([k, env]) => [env, auth[k]!]));
}

/** Each NatsAuth field and the environment variable docctl reads it from. */
export const AUTH_ENV_NAMES: readonly (readonly [keyof NatsAuth, string])[] = [
  ["user", "DOCCTL_NATS_USER"],
  ["password", "DOCCTL_NATS_PASSWORD"],
  ["token", "DOCCTL_NATS_TOKEN"],
  ["nkeyFile", "DOCCTL_NATS_NKEY"],
  ["credsFile", "DOCCTL_NATS_CREDS"],
  ["tlsCa", "DOCCTL_TLS_CA"],
  ["tlsCert", "DOCCTL_TLS_CERT"],
  ["tlsKey", "DOCCTL_TLS_KEY"],
];

/** The client options for `auth`: checked (one method, files readable), secrets read from files now. */
export function authOptions(auth: NatsAuth = {}): Partial<NodeConnectionOptions> {
  const methods = [
    auth.user !== undefined || auth.password !== undefined ? "--nats-user/--nats-password" : "",
    auth.token !== undefined ? "--nats-token" : "",
    auth.nkeyFile !== undefined ? "--nats-nkey" : "",
    auth.credsFile !== undefined ? "--nats-creds" : "",
  ].filter(Boolean);
  if (methods.length > 1) throw new ConfigError(`give one way to authenticate to NATS, not ${methods.join(" and ")}`, "nats-user");
  const out: Partial<NodeConnectionOptions> = {};
  if (auth.password !== undefined && auth.user === undefined) throw new ConfigError("--nats-password needs --nats-user (or DOCCTL_NATS_USER)", "nats-user");
  if (auth.user !== undefined) {
    out.user = auth.user;
    out.pass = auth.password ?? "";
  }
  if (auth.token !== undefined) out.token = auth.token;
  if (auth.nkeyFile !== undefined) {
    const seed = readSecret(auth.nkeyFile, "nats-nkey").trim();
    if (!/^SU[A-Z2-7]+$/.test(seed)) throw new ConfigError(`--nats-nkey ${auth.nkeyFile}: expected an NKey user seed (a line starting with "SU")`, "nats-nkey");
    out.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (auth.credsFile !== undefined) {
    const creds = readSecret(auth.credsFile, "nats-creds");
    if (!creds.includes("BEGIN NATS USER JWT") || !creds.includes("BEGIN USER NKEY SEED")) {
      throw new ConfigError(`--nats-creds ${auth.credsFile}: not a .creds file (needs a NATS USER JWT and a USER NKEY SEED block)`, "nats-creds");
    }
    out.authenticator = credsAuthenticator(new TextEncoder().encode(creds));
  }
  if (auth.tlsCert !== undefined && auth.tlsKey === undefined) throw new ConfigError("--tls-cert needs --tls-key", "tls-key");
  if (auth.tlsKey !== undefined && auth.tlsCert === undefined) throw new ConfigError("--tls-key needs --tls-cert", "tls-cert");
  if (auth.tlsCa !== undefined || auth.tlsCert !== undefined) {
    for (const [f, flag] of [[auth.tlsCa, "tls-ca"], [auth.tlsCert, "tls-cert"], [auth.tlsKey, "tls-key"]] as const) if (f !== undefined) readSecret(f, flag);
    out.tls = { caFile: auth.tlsCa, certFile: auth.tlsCert, keyFile: auth.tlsKey };
  }
  return out;
}

function readSecret(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`--${flag} ${path}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message}`, flag, { cause: err });
  }
}

/**
 * Connects, or throws AuthError (credentials refused), UnreachableError naming the URL and what to do, or
 * ServerVersionError when the server is older than docctl needs (2.14; the connection is closed).
 */
export async function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  const nc = await connectOnly(opts);
  try {
    assertServerVersion(nc, `NATS at ${splitUrlCredentials(opts.url).servers.map(redactUrl).join(", ")}`);
  } catch (err) {
    // the connection is refused anyway (the version error is thrown below); a failing close adds nothing
    await nc.close().catch(() => {});
    throw err;
  }
  return nc;
}

async function connectOnly(opts: NatsOptions): Promise<NatsConnection> {
  const { servers, auth: effective } = effectiveAuth(opts.url, opts.auth);
  const auth = opts.audience === "library" ? forLibrary(() => authOptions(effective)) : authOptions(effective);
  const shown = servers.map(redactUrl).join(", ");
  try {
    const nc = await connect({
      servers,
      name: opts.name,
      maxReconnectAttempts: opts.reconnectForever ? -1 : 10,
      reconnectTimeWait: 250,
      // Daemons notice a silent server (a network partition, no TCP reset) in 10-15 s, not the default 4 min.
      ...(opts.reconnectForever ? { pingInterval: 5_000, maxPingOut: 2 } : {}),
      waitOnFirstConnect: false,
      ...auth,
      ...opts.extra,
    });
    setWantedReplicas(nc, opts.replicas);
    return nc;
  } catch (err) {
    const e = err as Error;
    const lib = opts.audience === "library";
    if (isAuthFailure(e)) {
      throw new AuthError(
        lib
          ? `authorization failed: check the user/password, token, nkeyFile or credsFile option against the server's authorization (${shown} said: ${e.message})`
          : `authorization failed: check --nats-user/--nats-password, --nats-token, --nats-nkey or --nats-creds ` +
              `(or DOCCTL_NATS_USER, DOCCTL_NATS_PASSWORD, DOCCTL_NATS_TOKEN, docctl.toml) against the server's authorization ` +
              `(${shown} said: ${e.message})`,
        { cause: err },
      );
    }
    const tlsHint = /certificate|tls|ssl|handshake/i.test(e.message)
      ? lib
        ? " TLS failed: check the tlsCa option (the CA that signed the server's certificate), tlsCert/tlsKey, and that the URL's host matches the certificate."
        : " TLS failed: check --tls-ca (the CA that signed the server's certificate), --tls-cert/--tls-key, and that the URL's host matches the certificate."
      : "";
    throw new UnreachableError(
      `cannot reach NATS at ${shown}: ${e.message}.${tlsHint} ` +
        (lib
          ? `Is the server running (\`nats-server -js\`, \`docctl up\`) and is the \`nats\` option its URL?`
          : `Start one with \`docctl up\` or \`nats-server -js\`, or point --nats / DOCCTL_NATS_URL at yours.`),
      { cause: err },
    );
  }
}

/**
 * Servers without the credentials some write into the URL (`nats://user:pass@host`, `nats://token@host`),
 * and those credentials: the client does not read them from URLs, and logs must not show them.
 */
export function splitUrlCredentials(url: string): { servers: string[]; auth: NatsAuth } {
  const auth: NatsAuth = {};
  const servers = url.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^([a-z]+:\/\/)([^@/\s]+)@(.*)$/i.exec(s);
    if (!m) return s;
    const [user, pass] = m[2]!.split(":").map(decodeURIComponent);
    if (pass !== undefined) Object.assign(auth, { user, password: pass });
    else auth.token = user;
    return m[1]! + m[3]!;
  });
  return { servers, auth };
}

/** The servers without credentials, and the credentials to use: the options', else those in the URL. */
export function effectiveAuth(url: string, auth: NatsAuth = {}): { servers: string[]; auth: NatsAuth } {
  const { servers, auth: fromUrl } = splitUrlCredentials(url);
  const given = (auth.user ?? auth.token ?? auth.nkeyFile ?? auth.credsFile) !== undefined;
  const merged: NatsAuth = { ...auth };
  if (!given) for (const [k, v] of Object.entries(fromUrl)) if (v !== undefined) (merged as Record<string, string>)[k] = v;
  return { servers, auth: merged };
}

/** How a daemon waits for NATS at start: the backoff between tries. */
export const natsWaitBackoff = { initialMs: 500, factor: 2, maxMs: 10_000, jitter: 0.2 };

/**
 * For daemons (worker, manager, up with --nats): wait until NATS accepts a connection, trying again
 * with backoff and one log line per try, instead of exiting 4 at once (under systemd that burned the
 * restart budget during a short NATS outage). Resolves true once reachable, false when `signal` ends
 * the wait. Credentials refused (AuthError) and bad options still throw: waiting cannot fix them.
 */
export async function waitForNats(opts: NatsOptions, log: Logger, signal?: AbortSignal): Promise<boolean> {
  for (let attempt = 1; !signal?.aborted; attempt++) {
    try {
      const nc = await connectNats({ ...opts, reconnectForever: false, extra: { ...opts.extra, maxReconnectAttempts: 0 } });
      await nc.close();
      // the "waiting" lines are warnings, seen at every verbosity: so is their end, or a worker run
      // without -v shows three failures and then silence while it serves
      if (attempt > 1) log.warn(`NATS at ${splitUrlCredentials(opts.url).servers.map(redactUrl).join(", ")} is reachable now (try ${attempt}); going on`);
      return true;
    } catch (err) {
      if (!(err instanceof UnreachableError)) throw err;
      const n = Math.min(attempt - 1, 20);
      const base = Math.min(natsWaitBackoff.maxMs, natsWaitBackoff.initialMs * natsWaitBackoff.factor ** n);
      const wait = Math.round(base * (1 + natsWaitBackoff.jitter * (2 * Math.random() - 1)));
      const cause = (err.cause as Error | undefined)?.message ?? err.message;
      log.warn(`waiting for NATS at ${splitUrlCredentials(opts.url).servers.map(redactUrl).join(", ")}: try ${attempt} failed (${cause}); next try in ${(wait / 1000).toFixed(1)}s`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, wait);
        function done() {
          clearTimeout(t);
          signal?.removeEventListener("abort", done);
          resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }
  return false;
}

// The library's option names for the CLI's flags, in messages a library caller reads.
const LIBRARY_NAMES: [RegExp, string][] = [
  [/ \(or DOCCTL_[A-Z_]+\)/g, ""],
  [/--nats-user\/--nats-password/g, "user/password"],
  [/--nats-user/g, "user"],
  [/--nats-password/g, "password"],
  [/--nats-token/g, "token"],
  [/--nats-nkey/g, "nkeyFile"],
  [/--nats-creds/g, "credsFile"],
  [/--tls-ca/g, "tlsCa"],
  [/--tls-cert/g, "tlsCert"],
  [/--tls-key/g, "tlsKey"],
];

function forLibrary<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const message = LIBRARY_NAMES.reduce((m, [re, to]) => m.replace(re, to), err.message);
    throw new ConfigError(message, err.option, { cause: err });
  }
}
