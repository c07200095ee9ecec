// `docctl config`: the effective settings, where each came from (flag, env, file, default), secrets masked.
import type { Command } from "../command.ts";
import { shownValue, type Setting } from "../settings.ts";
import { ConfigError } from "../../core/runtime/protocol/errors.ts";
import { urlHasSecret, workerCredentials, type WorkerCredentials } from "../../core/scaler/credentials.ts";

export const command: Command = {
  name: "config",
  summary: "show the effective settings and where each came from (flag, environment, docctl.toml, default)",
  help: `Usage: docctl config [--json] [--section NAME]

Prints every setting docctl would use here: global options first, then each command's, with the
value (passwords and tokens masked) and its origin. Order of precedence: flags > environment >
docctl.toml (--config FILE, env DOCCTL_CONFIG, else ./docctl.toml) > defaults. See docs/config.md.

Options:
  --json          one JSON document: {file, settings: [{section, key, value, source, where}], problems: [...]}
  --section NAME  only "global" or one command's settings

Every value shown is checked against what its option allows, wherever it was set, and every problem
is reported at once (docctl.toml's unknown sections and keys too): each on stderr with its place (docctl.toml:LINE [section] key, the environment variable, or the
flag), the option and what is allowed, and the exit code is 2.

Exit codes: 0 all values valid, 2 a value is not allowed, an unknown --section, or a bad docctl.toml
(unknown section or key, a value of the wrong type, TOML syntax).`,
  options: { json: { type: "boolean" }, section: { type: "string" } },
  async run(ctx) {
    const report = ctx.explain!();
    const want = ctx.values.section as string | undefined;
    if (want !== undefined && !report.sections.includes(want)) {
      throw new ConfigError(`--section "${want}": no such section (sections: ${report.sections.join(", ")})`, "section");
    }
    const rows = report.settings.filter((s) => want === undefined || (want === "global" ? s.section === "" : s.section === want));
    // every problem at once: the file's own (unknown keys, wrong types) and every value its option does not allow
    const problems = [...report.fileProblems, ...report.problemsOf(rows)];
    if (ctx.values.json) {
      const settings = rows.map((s) => ({ section: s.section || "global", key: s.key, value: shownValue(s), source: s.source, where: s.where ?? null }));
      const credentials = want === undefined || want === "global" || want === "manager" ? credentialsOf(report.settings) : undefined;
      console.log(JSON.stringify({ file: report.file ?? null, settings, problems, ...(credentials ? { credentials } : {}) }, null, 2));
      for (const p of problems) console.error(`docctl config: ${p}`);
      return problems.length ? 2 : 0;
    }
    console.log(`# config file: ${report.file ?? "none (no --config, DOCCTL_CONFIG or ./docctl.toml)"}`);
    const width = Math.max(...rows.map((s) => s.key.length));
    let section: string | undefined;
    for (const s of rows) {
      if (s.section !== section) {
        section = s.section;
        console.log(section ? `\n[${section}]` : "\n# global");
      }
      console.log(`${s.key.padEnd(width)} = ${fmt(s).padEnd(28)} # ${origin(s)}`);
    }
    if (want === undefined || want === "global" || want === "manager") {
      const c = credentialsOf(report.settings);
      console.log(`\n# credentials\n# NATS, this host: ${c.nats}\n# workers the manager starts: ${c.workers.mode}`);
      for (const w of c.workers.warnings) console.log(`# WARNING: ${w}`);
      for (const w of c.workers.warnings) console.error(`docctl config: warning: ${w}`);
    }
    for (const p of problems) console.error(`docctl config: ${p}`);
    return problems.length ? 2 : 0;
  },
};

/** Which NATS credentials this host uses, and which the manager's workers would (and whether a secret would travel in user data). */
export function credentialsOf(settings: Setting[]): { nats: string; workers: WorkerCredentials } {
  const get = (section: string, key: string) => {
    const v = settings.find((s) => s.section === section && s.key === key)?.value;
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const url = get("", "nats") ?? "nats://127.0.0.1:4222";
  const auth = get("", "nats-creds") ? "creds" : get("", "nats-nkey") ? "nkey" : get("", "nats-user") ? "user" : get("", "nats-token") ? "token" : undefined;
  const nats =
    auth === "creds" ? `the .creds file ${get("", "nats-creds")}`
    : auth === "nkey" ? `the NKey seed file ${get("", "nats-nkey")}`
    : auth === "user" ? `user ${get("", "nats-user")} with a password`
    : auth === "token" ? "a token"
    : urlHasSecret(url) ? "the credentials in the NATS URL"
    : "none";
  const provider = get("manager", "provider") === "digitalocean" ? "digitalocean" : "local";
  const workers = workerCredentials({ provider, workerNatsUrl: get("manager", "worker-nats") ?? url, workerCreds: get("manager", "worker-creds"), managerAuth: auth as never });
  return { nats, workers };
}

function fmt(s: Setting): string {
  const v = shownValue(s);
  return v === null ? "(unset)" : JSON.stringify(v);
}

function origin(s: Setting): string {
  return s.source === "default" ? "default" : `${s.source} ${s.where ?? ""}`.trim();
}
