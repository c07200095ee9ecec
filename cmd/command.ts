// What every CLI command module exports: its options, its help, and one function that runs it.
import type { ParseArgsOptionDescriptor } from "node:util";
import type { ValueCheck } from "./checks.ts";
import type { NatsAuth } from "../core/runtime/nats/connection.ts";
import type { SettingsReport } from "./settings.ts";
import type { Secrets } from "../core/runtime/util/secrets.ts";
import type { LogSink } from "../core/runtime/util/log-sink.ts";

/** Options every command accepts. */
export interface GlobalOptions {
  /** NATS URL: --nats, else DOCCTL_NATS_URL, else NATS_URL, else nats://127.0.0.1:4222 */
  nats: string;
  /** credentials and TLS (--nats-user/--nats-password, --nats-token, --nats-nkey, --nats-creds, --tls-*) */
  auth?: NatsAuth;
  /** the docctl.toml read, if any */
  configFile?: string;
  /** 0 = warnings and errors only; 1 startup/shutdown; 2 process events; 3 job events; 4 debug; 5 trace */
  verbosity: number;
  logFormat: "pretty" | "json";
  /** the secrets this process was given (passwords, tokens): its loggers mask them; register more with `add` */
  secrets?: Secrets;
  /** where log lines go: --log-file, else standard error */
  logSink?: LogSink;
  /** replicas of the streams and buckets created (--replicas, DOCCTL_REPLICAS); undefined: min(3, cluster servers) */
  replicas?: number;
}

/** One option: node:util parseArgs's descriptor, plus what its value may be (checked for flags, env and docctl.toml alike). */
export type OptionDecl = ParseArgsOptionDescriptor & { check?: ValueCheck };

export type OptionSpec = Record<string, OptionDecl>;

/** One `docctl <name>` command. `run` returns the process exit code. */
export interface Command {
  name: string;
  /** one line for `docctl --help` */
  summary: string;
  /** the full `docctl <name> --help` text (usage line, options, examples) */
  help: string;
  /** node:util parseArgs option spec (strict: unknown options are errors) */
  options: OptionSpec;
  /**
   * string options whose next argument is always their value, even when it starts with "-"
   * (`--worker-args "--plugins DIR --procs 1"`: arguments handed on to another command)
   */
  verbatim?: string[];
  /** whether positional arguments are allowed */
  positionals?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  global: GlobalOptions;
  /** every section's effective settings and their origins (for `docctl config`) */
  explain?(): SettingsReport;
}
