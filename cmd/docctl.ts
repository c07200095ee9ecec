#!/usr/bin/env bun
// The docctl CLI: parses arguments into typed options and calls one function per command. No logic here.
import { parseArgs } from "node:util";
import type { Command, GlobalOptions, OptionSpec } from "./command.ts";
import { ConfigError, InputError, UnreachableError } from "../core/runtime/errors.ts";
import { DEFAULT_NATS_URL } from "../core/runtime/connection.ts";
import { VERSION } from "./version.ts";
import { commands } from "./commands/index.ts";

const GLOBAL_OPTIONS: OptionSpec = {
  nats: { type: "string" },
  verbose: { type: "boolean", short: "v", multiple: true },
  "log-format": { type: "string" },
  help: { type: "boolean", short: "h" },
};

const GLOBAL_HELP = `Global options:
  --nats URL            NATS server(s), comma-separated (env DOCCTL_NATS_URL, then NATS_URL; default ${DEFAULT_NATS_URL})
  -v ... -vvvvv         more output: startup/shutdown, process events, job events, debug, trace
  --log-format FMT      pretty (default) or json
  -h, --help            help for a command`;

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `docctl ${VERSION}: background jobs and document rendering over NATS JetStream

Usage: docctl <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

${GLOBAL_HELP}

Run \`docctl <command> --help\` for a command's options. Docs: README.md, docs/protocol.md, docs/plugins.md.`;
}

/** Runs the CLI with `argv` (without the program name); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
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
    console.error(`docctl: unknown command "${name}". Commands: ${commands.map((c) => c.name).join(", ")}. See docctl --help.`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`docctl ${name}: ${(err as Error).message.replace(/^.*?: /, "")}. See docctl ${name} --help.`);
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
  const fmt = (parsed.values["log-format"] as string | undefined) ?? process.env.DOCCTL_LOG_FORMAT ?? "pretty";
  if (fmt !== "pretty" && fmt !== "json") {
    console.error(`docctl ${name}: --log-format must be "pretty" or "json" (got "${fmt}")`);
    return 2;
  }
  const global: GlobalOptions = {
    nats: (parsed.values.nats as string | undefined) ?? process.env.DOCCTL_NATS_URL ?? process.env.NATS_URL ?? DEFAULT_NATS_URL,
    verbosity: ((parsed.values.verbose as boolean[] | undefined) ?? []).length,
    logFormat: fmt,
  };
  try {
    return await cmd.run({ values: parsed.values as never, positionals: parsed.positionals, global });
  } catch (err) {
    if (err instanceof InputError || err instanceof ConfigError) {
      console.error(`docctl ${name}: ${err.message}`);
      return 2;
    }
    if (err instanceof UnreachableError) {
      console.error(`docctl ${name}: ${err.message}`);
      return 4;
    }
    console.error(`docctl ${name}: unexpected error: ${(err as Error).stack ?? err}`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
