// The options every command accepts, their environment variables, and the help text that lists them.
import type { OptionSpec } from "./command.ts";
import { count, oneOf } from "./checks.ts";
import { DEFAULT_NATS_URL } from "../core/runtime/nats/connection.ts";

export const GLOBAL_OPTIONS: OptionSpec = {
  config: { type: "string" },
  context: { type: "string" },
  nats: { type: "string" },
  "nats-user": { type: "string" },
  "nats-password": { type: "string" },
  "nats-token": { type: "string" },
  "nats-nkey": { type: "string" },
  "nats-creds": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  verbose: { type: "boolean", short: "v", multiple: true },
  "log-format": { type: "string", check: oneOf("pretty", "json") },
  "log-file": { type: "string" },
  replicas: { type: "string", check: count(1) },
  help: { type: "boolean", short: "h" },
};

/** Options that only make sense on the command line (`child`: internal, a supervisor's proc): not read from the environment or docctl.toml. */
export const FLAG_ONLY = new Set(["help", "config", "child"]);

/** Environment variables of the global options, first found wins. Other options: DOCCTL_<COMMAND>_<OPTION>. */
export const GLOBAL_ENV: Record<string, string[]> = {
  nats: ["DOCCTL_NATS_URL", "NATS_URL"],
  "nats-user": ["DOCCTL_NATS_USER"],
  "nats-password": ["DOCCTL_NATS_PASSWORD"],
  "nats-token": ["DOCCTL_NATS_TOKEN"],
  "nats-nkey": ["DOCCTL_NATS_NKEY"],
  "nats-creds": ["DOCCTL_NATS_CREDS"],
  "tls-ca": ["DOCCTL_TLS_CA"],
  "tls-cert": ["DOCCTL_TLS_CERT"],
  "tls-key": ["DOCCTL_TLS_KEY"],
  verbose: ["DOCCTL_VERBOSE"],
  "log-format": ["DOCCTL_LOG_FORMAT"],
  "log-file": ["DOCCTL_LOG_FILE"],
  replicas: ["DOCCTL_REPLICAS"],
  context: ["DOCCTL_CONTEXT", "NATS_CONTEXT"],
};

/**
 * DOCCTL_* variables read by other means than an option (internal hand-overs between docctl
 * processes, handler settings, the tests' own). `docctl` warns about any other DOCCTL_* it finds set:
 * add a new one here.
 */
export const KNOWN_ENV = [
  "DOCCTL_CONFIG",
  "DOCCTL_EXIT_WITH_PID",
  "DOCCTL_PROC_NAME",
  "DOCCTL_JOB_FILE",
  "DOCCTL_METADATA_URL",
  "DOCCTL_ALLOW_PRIVATE_FETCH",
  "DOCCTL_CHROMIUM",
  "DOCCTL_TITLE_TIMEOUT_MS",
  "DOCCTL_HTTP_TOKEN",
  "DOCCTL_DO_TOKEN",
  "DOCCTL_HISTORY_INTERVAL",
  "DOCCTL_PROC_SECRETS",
  "DOCCTL_BIN",
  "DOCCTL_TEST_LOG",
  "DOCCTL_UPDATE_SCREENSHOTS",
  "DOCCTL_SCRATCH",
];

/** Families of DOCCTL_* variables read by prefix (render limits: DOCCTL_TEMPLATE_MAX_PAGES ...). */
export const KNOWN_ENV_PREFIXES = ["DOCCTL_TEMPLATE_MAX_"];

/** Defaults of the global options, shown by `docctl config`. */
export const GLOBAL_DEFAULTS: Record<string, unknown> = { nats: DEFAULT_NATS_URL, verbose: 0, "log-format": "pretty" };

export const GLOBAL_HELP = `Global options (each also DOCCTL_... in the environment or a key in docctl.toml; see docs/config.md):
  --config FILE         settings file (env DOCCTL_CONFIG; default ./docctl.toml if present)
  --context NAME        a nats CLI context (~/.config/nats/context/NAME.json: url, creds, user/password,
                        token, nkey, tls) for what flags and environment leave open (env NATS_CONTEXT)
  --nats URL            NATS server(s), comma-separated (env DOCCTL_NATS_URL, then NATS_URL; default ${DEFAULT_NATS_URL})
  --nats-user NAME      user name (env DOCCTL_NATS_USER) with
  --nats-password PW    its password (env DOCCTL_NATS_PASSWORD; prefer the environment or the file to the flag)
  --nats-token TOKEN    token authentication (env DOCCTL_NATS_TOKEN)
  --nats-nkey FILE      file holding an NKey user seed (SU...)
  --nats-creds FILE     .creds file (user JWT + seed, as nsc writes it)
  --tls-ca FILE         CA certificate(s) that signed the server's; any --tls-* option turns TLS on
  --tls-cert FILE       client certificate for mutual TLS, with
  --tls-key FILE        its private key
  -v ... -vvvvv         more output: startup/shutdown, process events, job events, debug, trace
  --log-format FMT      pretty (default) or json
  --log-file FILE       append log lines to FILE instead of stderr; SIGUSR1 reopens it (logrotate)
  --replicas N          replicas of the streams and buckets docctl creates (env DOCCTL_REPLICAS;
                        default: 3 on a NATS cluster of 3+ servers, else the cluster's size, 1 alone)
  -h, --help            help for a command
Global options go before or after the command: \`docctl --nats URL submit job.json\`.`;
