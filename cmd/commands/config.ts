// `docctl config`: the effective settings, where each came from (flag, env, file, default), secrets masked.
import type { Command } from "../command.ts";
import { shownValue, type Setting } from "../settings.ts";

export const command: Command = {
  name: "config",
  summary: "show the effective settings and where each came from (flag, environment, docctl.toml, default)",
  help: `Usage: docctl config [--json] [--section NAME]

Prints every setting docctl would use here: global options first, then each command's, with the
value (passwords and tokens masked) and its origin. Order of precedence: flags > environment >
docctl.toml (--config FILE, env DOCCTL_CONFIG, else ./docctl.toml) > defaults. See docs/config.md.

Options:
  --json          one JSON document: {file, settings: [{section, key, value, source, where}]}
  --section NAME  only "global" or one command's settings`,
  options: { json: { type: "boolean" }, section: { type: "string" } },
  async run(ctx) {
    const report = ctx.explain!();
    const want = ctx.values.section as string | undefined;
    const rows = report.settings.filter((s) => want === undefined || (want === "global" ? s.section === "" : s.section === want));
    if (ctx.values.json) {
      const settings = rows.map((s) => ({ section: s.section || "global", key: s.key, value: shownValue(s), source: s.source, where: s.where ?? null }));
      console.log(JSON.stringify({ file: report.file ?? null, settings }, null, 2));
      return 0;
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
    return 0;
  },
};

function fmt(s: Setting): string {
  const v = shownValue(s);
  return v === null ? "(unset)" : JSON.stringify(v);
}

function origin(s: Setting): string {
  return s.source === "default" ? "default" : `${s.source} ${s.where ?? ""}`.trim();
}
