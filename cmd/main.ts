// The docctl CLI: parses arguments, fills in what flags did not set from the environment and
// docctl.toml, and calls one function per command. No logic here.
import { parseArgs } from "node:util";
import type { Command, GlobalOptions } from "./command.ts";
import { ConfigError, InputError, ServerError, ServerVersionError, UnreachableError } from "../core/runtime/protocol/errors.ts";
import { DEFAULT_NATS_URL, connectNats, splitUrlCredentials, type NatsOptions } from "../core/runtime/nats/connection.ts";
import { explainNoAnswer } from "../core/runtime/nats/durability.ts";
import { isNoAnswer, isTransientNatsError } from "../core/runtime/nats/errors.ts";
import { natsOptionsFrom } from "./options.ts";
import { Secrets } from "../core/runtime/util/secrets.ts";
import { fileSink, stderrSink, type LogSink } from "../core/runtime/util/log-sink.ts";
import { VERSION } from "./version.ts";
import { commands } from "./commands/index.ts";
import { FLAG_ONLY, GLOBAL_DEFAULTS, GLOBAL_ENV, GLOBAL_HELP, GLOBAL_OPTIONS } from "./globals.ts";
import { configPath, loadConfigFile, type ConfigFile } from "./config-file.ts";
import { helpDefaults, originOf, resolveSection, valuesOf, type RawValue, type Setting } from "./settings.ts";
import { settingProblems } from "./checks.ts";
import { commandFirst, didYouMean, unknownEnv, unknownOption } from "./argv.ts";
import { envName } from "./settings.ts";
import { KNOWN_ENV, KNOWN_ENV_PREFIXES } from "./globals.ts";
import { applyContext } from "./context.ts";

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `docctl ${VERSION}: background jobs and document rendering over NATS JetStream

Usage: docctl <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

${GLOBAL_HELP}

Run \`docctl <command> --help\` for a command's options. Docs: README.md, docs/protocol.md, docs/plugins.md, docs/config.md.`;
}

/** Commands that run until stopped: an old NATS server makes them exit 1, not 2. */
const DAEMONS = new Set(["worker", "manager", "up"]);

/** Runs the CLI with `argv` (without the program name); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  // global options may come before the command: `docctl --nats URL -v submit job.json`
  const { name, rest, leading } = commandFirst(argv, GLOBAL_OPTIONS);
  if (leading.includes("--help") || leading.includes("-h")) {
    console.log(mainHelp());
    return 0;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(mainHelp());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(`docctl ${VERSION}`);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    if (name.startsWith("-")) {
      const bad = unknownOption([name], GLOBAL_OPTIONS);
      console.error(`docctl: ${bad ?? `option ${name} needs a value`} before the command. See docctl --help.`);
      return 2;
    }
    const hint = didYouMean(name, commands.map((c) => c.name));
    console.error(`docctl: unknown command "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}. Commands: ${commands.map((c) => c.name).join(", ")}. See docctl --help.`);
    return 2;
  }
  const spec = { ...GLOBAL_OPTIONS, ...cmd.options };
  const glued = glueValues(rest, cmd);
  const unknown = unknownOption(glued, spec);
  if (unknown) {
    console.error(`docctl ${name}: ${unknown}. See docctl ${name} --help.`);
    return 2;
  }
  // A setting nobody reads is most likely a typo of one that is (DOCCTL_NATS_ULR): said once, by the
  // process the user started, not by each proc it starts.
  if (!rest.includes("--child") && process.env.DOCCTL_PROC_NAME === undefined) {
    for (const w of unknownEnv(process.env, knownEnv(), KNOWN_ENV_PREFIXES)) console.error(`docctl: warning: ${w}`);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: glued, options: { ...GLOBAL_OPTIONS, ...withoutDefaults(cmd.options) }, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs's own words ("Option '--x <value>' argument missing"), quotes made whole
    const m = /Option '(-\S+)(?: <value>)?' argument missing|Option '(-\S+)[^']*' argument is ambiguous/.exec((err as Error).message);
    const what = m ? `${m[1] ?? m[2]} needs a value` : (err as Error).message.replace(/^.*?: /, "").replace(/\.$/, "");
    console.error(`docctl ${name}: ${what}. See docctl ${name} --help.`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(`${cmd.help}\n\n${GLOBAL_HELP}`);
    return 0;
  }
  if (!cmd.positionals && parsed.positionals.length) {
    console.error(`docctl ${name}: unexpected argument "${parsed.positionals[0]}". See docctl ${name} --help.`);
    return 2;
  }
  let settings: Setting[] = [];
  let natsOpts: NatsOptions | undefined;
  try {
    const flags = parsed.values as Record<string, RawValue>;
    const file = readConfig(flags.config as string | undefined);
    // `docctl config` shows every problem itself (with --json, in `problems`); another command cannot run with them
    if (file?.problems.length && cmd.name !== "config") throw new ConfigError(file.problems.join("\n"), "config");
    const globals = await withContext(resolveGlobals(flags, file));
    const mine = resolveSection({ section: cmd.name, spec: cmd.options, flags: pick(flags, cmd.options), env: process.env, file: file?.sections.get(cmd.name), skip: FLAG_ONLY, defaults: helpDefaults(cmd.help) });
    settings = [...globals, ...mine];
    // Every value is checked against its option before anything runs, wherever it was set.
    const problems = settingProblems(settings, checkOf);
    if (problems.length && cmd.name !== "config") throw new ConfigError(problems.join("\n"), "");
    const global = globalOptions(valuesOf(globals), file?.path);
    const explain = () => {
      const all = [
        ...globals,
        ...commands.flatMap((c) =>
          c === cmd
            ? mine
            : resolveSection({ section: c.name, spec: c.options, flags: {}, env: process.env, file: file?.sections.get(c.name), skip: FLAG_ONLY, defaults: helpDefaults(c.help) }),
        ),
      ];
      return {
        file: file?.path,
        fileProblems: file?.problems ?? [],
        settings: all,
        sections: ["global", ...commands.map((c) => c.name)],
        problemsOf: (s: Setting[]) => settingProblems(s, checkOf),
      };
    };
    natsOpts = natsOptionsFrom(global, `docctl ${name}`);
    return await cmd.run({ values: valuesOf(mine) as never, positionals: parsed.positionals, global, explain });
  } catch (caught) {
    // A JetStream request nobody answered (a timeout) is explained, never shown as a bare timeout with
    // a stack: which docctl stream has no leader, or that JetStream itself does not answer (exit 4).
    const err = natsOpts && isUnanswered(caught) ? await explainUnanswered(natsOpts, caught) : caught;
    if (err instanceof InputError || err instanceof ConfigError) {
      const origin = err instanceof ConfigError ? originOf(settings, err.option) : "";
      // several problems (every bad value at once): one line each, each with the command's name
      console.error(`${err.message}${origin}`.split("\n").map((l) => `docctl ${name}: ${l}`).join("\n"));
      return 2;
    }
    if (err instanceof UnreachableError) {
      console.error(`docctl ${name}: ${err.message}`);
      return 4;
    }
    if (err instanceof ServerVersionError) {
      // a daemon (systemd restarts it) exits 1 like its other start-up failures; a one-shot command 2
      console.error(`docctl ${name}: ${err.message}`);
      return DAEMONS.has(name) ? 1 : 2;
    }
    if (err instanceof ServerError) {
      console.error(`docctl ${name}: ${err.message}`);
      return 1;
    }
    console.error(`docctl ${name}: unexpected error: ${(err as Error).stack ?? err}`);
    return 1;
  }
}

/** Every DOCCTL_* variable docctl reads: the global options', each command option's, and the others. */
export function knownEnv(): Set<string> {
  const out = new Set<string>(KNOWN_ENV);
  for (const names of Object.values(GLOBAL_ENV)) for (const n of names) out.add(n);
  for (const c of commands) for (const k of Object.keys(c.options)) if (!FLAG_ONLY.has(k)) out.add(envName(c.name, k));
  return out;
}

// `--context NAME`: a nats CLI context fills in the connection settings flags and environment left open.
async function withContext(globals: Setting[]): Promise<Setting[]> {
  const name = globals.find((s) => s.key === "context")?.value;
  return typeof name === "string" && name ? applyContext(globals, name, process.env) : globals;
}

function readConfig(flag: string | undefined): ConfigFile | undefined {
  const path = configPath(flag, process.env);
  if (!path) return undefined;
  return loadConfigFile(path, GLOBAL_OPTIONS, Object.fromEntries(commands.map((c) => [c.name, c.options])), FLAG_ONLY);
}

function resolveGlobals(flags: Record<string, RawValue>, file: ConfigFile | undefined): Setting[] {
  return resolveSection({
    section: "",
    spec: GLOBAL_OPTIONS,
    flags: pick(flags, GLOBAL_OPTIONS),
    env: process.env,
    file: file?.globals,
    envNames: GLOBAL_ENV,
    skip: FLAG_ONLY,
    defaults: GLOBAL_DEFAULTS,
  });
}

function globalOptions(v: Record<string, RawValue>, configFile: string | undefined): GlobalOptions {
  const str = (k: string) => (v[k] === undefined ? undefined : String(v[k]));
  const fmt = str("log-format") ?? "pretty";
  if (fmt !== "pretty" && fmt !== "json") throw new ConfigError(`--log-format must be "pretty" or "json" (got "${fmt}")`, "log-format");
  // Secrets are masked in every line of this process's loggers, whoever prints them.
  const secrets = new Secrets();
  secrets.add(str("nats-password"));
  secrets.add(str("nats-token"));
  const inUrl = splitUrlCredentials(str("nats") ?? "").auth;
  secrets.add(inUrl.password);
  secrets.add(inUrl.token);
  return {
    nats: str("nats") ?? DEFAULT_NATS_URL,
    auth: {
      user: str("nats-user"),
      password: str("nats-password"),
      token: str("nats-token"),
      nkeyFile: str("nats-nkey"),
      credsFile: str("nats-creds"),
      tlsCa: str("tls-ca"),
      tlsCert: str("tls-cert"),
      tlsKey: str("tls-key"),
    },
    verbosity: ((v.verbose as boolean[] | undefined) ?? []).filter(Boolean).length,
    logFormat: fmt,
    secrets,
    logSink: logSinkOf(str("log-file")),
    configFile,
    replicas: str("replicas") === undefined ? undefined : Number(str("replicas")),
  };
}

/**
 * The log destination of this process: stderr, or --log-file opened for appending (procs and local
 * workers inherit it through DOCCTL_LOG_FILE) and reopened on SIGUSR1, so logrotate can move it away.
 */
function logSinkOf(path: string | undefined): LogSink {
  if (!path) {
    // A worker proc: its supervisor passes SIGUSR1 on (logrotate's signal for --log-file). With no file
    // to reopen it must not take the default action, which ends the process (and cuts its jobs).
    if (process.env.DOCCTL_PROC_NAME !== undefined) process.on("SIGUSR1", () => {});
    return stderrSink();
  }
  process.env.DOCCTL_LOG_FILE = path;
  const sink = fileSink(path);
  process.on("SIGUSR1", () => sink.reopen());
  return sink;
}

/**
 * `--opt VALUE` where VALUE starts with "-" is "ambiguous" to parseArgs. For a string option that is
 * `verbatim` (arguments for another command), or when VALUE holds whitespace (no option does), the
 * next argument is its value: `--worker-args "--plugins DIR --procs 1"` means what it says.
 */
export function glueValues(args: string[], cmd: Pick<Command, "options" | "verbatim">): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith("--") && !a.includes("=") ? a.slice(2) : undefined;
    const spec = name ? cmd.options[name] : undefined;
    if (spec?.type === "string" && next !== undefined && next.startsWith("-") && (cmd.verbatim?.includes(name!) || /\s/.test(next))) {
      out.push(`${a}=${next}`);
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** The check of option `key` of `section` ("" = global), if it declares one. */
export function checkOf(section: string, key: string) {
  const spec = section ? commands.find((c) => c.name === section)?.options : GLOBAL_OPTIONS;
  return spec?.[key]?.check;
}

function pick(values: Record<string, RawValue>, spec: object): Record<string, RawValue> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => k in spec));
}

// parseArgs would fill spec defaults in as if they were flags; settings.ts applies them last instead.
function withoutDefaults(spec: Command["options"]): Command["options"] {
  return Object.fromEntries(Object.entries(spec).map(([k, { check: _check, ...s }]) => [k, { ...s, default: undefined }]));
}


function isUnanswered(err: unknown): boolean {
  return !(err instanceof UnreachableError) && (isNoAnswer(err) || isTransientNatsError(err));
}

// Ask NATS afresh what the unanswered request means (explainNoAnswer); a plain UnreachableError if it
// cannot say, so the user still gets exit 4 and what to check rather than a stack.
async function explainUnanswered(opts: NatsOptions, err: unknown): Promise<Error> {
  const nc = await connectNats({ ...opts, extra: { ...opts.extra, maxReconnectAttempts: 0 } }).catch(() => undefined);
  try {
    const explained = nc ? await explainNoAnswer(nc, err).catch(() => undefined) : undefined;
    return (
      explained ??
      new UnreachableError(
        `NATS did not answer in time (${(err as Error).message}): the server or its JetStream is overloaded, restarting, or electing leaders. ` +
          `Try again; \`docctl streams\` and \`docctl status\` show the streams' state.`,
        { cause: err },
      )
    );
  } finally {
    await nc?.close().catch(() => {});
  }
}
