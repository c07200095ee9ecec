// `docctl template put|ls|get|rm`: manage templates in the DOCCTL_TEMPLATES object store.
import { existsSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Command, CommandContext } from "../command.ts";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { natsOptionsFrom } from "../options.ts";
import { jsonSyntaxError } from "../../core/runtime/client/jobfile.ts";
import { jsonNestingProblem } from "../../core/runtime/util/json-depth.ts";
import { InputError, JobError, UnreachableError } from "../../core/runtime/protocol/errors.ts";
// The render engine is imported when a template command runs, not when the binary starts (see cmd/registry.ts).
const TEMPLATES_BUCKET = BUCKET_TEMPLATES;
import { type TemplateLimits, parseLimit, templateLimitsDefaults } from "../../core/render/limit-values.ts";
import { BUCKET_TEMPLATES } from "../../core/runtime/protocol/subjects.ts";

/** --max-* flags of `template put` and the limit each sets. */
const LIMIT_FLAGS: [string, keyof TemplateLimits][] = [
  ["max-base-size", "maxBaseBytes"],
  ["max-pages", "maxPages"],
  ["max-objects", "maxObjects"],
  ["max-stream-size", "maxStreamBytes"],
  ["max-parse-time", "maxParseMs"],
];
const limitCheck = (key: keyof TemplateLimits) => (v: string) => {
  try {
    parseLimit(key, v, "value");
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^value: ".*" is not /s, "must be ");
  }
};

const HELP = `Usage:
  docctl template put NAME base.pdf (--layout layout.json | --html page.html)
                      [--font NAME=FILE.ttf ...] [--asset NAME=FILE.png ...] [--max-pages N ...]
  docctl template ls [--json]
  docctl template get NAME [--out DIR] [--force]
  docctl template rm NAME

Templates live in the ${TEMPLATES_BUCKET} JetStream object store. A template is a base PDF plus either a
layout (JSON: where each data field goes; see docs/render.md) or an HTML page with Mustache
placeholders. \`put\` checks both before storing and replaces an older version; workers notice the
new version on their next job.

Options:
  --layout FILE   the layout JSON (put)
  --html FILE     the HTML page (put)
  --font NAME=FILE  a TrueType/OpenType font (.ttf, .otf) stored with the template; the layout's
                  "font" names it (repeatable). Embedded as subsets of the glyphs each document uses.
  --asset NAME=FILE a PNG, JPEG or SVG (drawn as vectors) stored with the template; image fields place it with "asset": NAME;
                  NAME.p12/.pfx: a PKCS#12 certificate for the pdf job's "sign" (PAdES)
                  (repeatable)
  --max-base-size SIZE, --max-pages N, --max-objects N, --max-stream-size SIZE, --max-parse-time TIME
                  caps on the base PDF, refused beyond them (defaults ${Math.round(templateLimitsDefaults.maxBaseBytes / 1024 / 1024)}MB, ${templateLimitsDefaults.maxPages},
                  ${templateLimitsDefaults.maxObjects}, ${Math.round(templateLimitsDefaults.maxStreamBytes / 1024 / 1024)}MB inflated, ${templateLimitsDefaults.maxParseMs / 1000}s); workers check again with
                  DOCCTL_TEMPLATE_MAX_BASE_SIZE, _PAGES, _OBJECTS, _STREAM_SIZE, _PARSE_TIME
  --out DIR       where \`get\` writes base.pdf, layout.json/page.html, fonts/ and assets/ (default ./NAME)
  --force         let \`get\` overwrite existing files
  --json          \`ls\` prints JSON
  --nats URL      NATS server (default $DOCCTL_NATS_URL or nats://127.0.0.1:4222)

Examples:
  docctl template put invoice examples/invoice/base.pdf --layout examples/invoice/layout.json
  docctl template put invoice-html examples/invoice/base.pdf --html examples/invoice/invoice.html
  docctl template put receipt base.pdf --layout layout.json --font brand=Brand-Regular.otf \\
      --font arabic=/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf --asset logo.png=logo.png
      (the full multilingual example: examples/multilingual/README.md)
  docctl template ls
  docctl template get invoice --out /tmp/invoice
  docctl template rm invoice-html

Exit codes: 0 ok, 1 failed (e.g. no such template), 2 bad input (invalid layout or PDF), 4 NATS unreachable.`;

export const command: Command = {
  name: "template",
  summary: "store, list, fetch and remove render templates (base PDF + layout or HTML)",
  help: HELP,
  positionals: true,
  options: {
    layout: { type: "string" },
    html: { type: "string" },
    font: { type: "string", multiple: true },
    asset: { type: "string", multiple: true },
    ...Object.fromEntries(LIMIT_FLAGS.map(([flag, key]) => [flag, { type: "string" as const, check: limitCheck(key) }])),
    out: { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  },
  async run(ctx) {
    try {
      return await runTemplate(ctx);
    } catch (err) {
      return report(err);
    }
  },
};

async function runTemplate(ctx: CommandContext): Promise<number> {
  const [{ getTemplate, listTemplates, removeTemplate, storeTemplate }, { buildTemplate }] = await Promise.all([
    import("../../core/render/store.ts"),
    import("../../core/render/template.ts"),
  ]);
  const [sub, ...args] = ctx.positionals;
  const v = ctx.values;
  const want = (n: number, usage: string) => {
    if (args.length !== n) throw new InputError(`usage: docctl template ${usage} (see docctl template --help)`);
  };
  switch (sub) {
    case "put": {
      want(2, "put NAME base.pdf (--layout layout.json | --html page.html)");
      const [name, basePath] = args;
      const layoutPath = v.layout as string | undefined;
      const htmlPath = v.html as string | undefined;
      if (!layoutPath === !htmlPath) throw new InputError("template put: give exactly one of --layout layout.json or --html page.html");
      const base = await readInput(basePath);
      let layout: unknown;
      let html: string | undefined;
      if (layoutPath) {
        const text = new TextDecoder().decode(await readInput(layoutPath));
        const deep = jsonNestingProblem(text);
        if (deep) throw new InputError(`${layoutPath}:${deep.line}:${deep.col}: ${deep.message}`);
        try {
          layout = JSON.parse(text);
        } catch (err) {
          const at = jsonSyntaxError(text);
          throw new InputError(at ? `${layoutPath}:${at.line}:${at.col}: ${at.message}` : `${layoutPath} is not valid JSON: ${(err as Error).message}`);
        }
      } else html = new TextDecoder().decode(await readInput(htmlPath!));
      const fonts = await Promise.all(namedFiles(v.font, "--font", "arabic=NotoSansArabic-Regular.ttf").map(async ([n, p]) => ({ name: n, bytes: await readInput(p), source: basename(p) })));
      const assets = await Promise.all(namedFiles(v.asset, "--asset", "logo.png=logo.png").map(async ([n, p]) => ({ name: n, bytes: await readInput(p) })));
      const limits: Partial<TemplateLimits> = {};
      for (const [flag, key] of LIMIT_FLAGS) if (typeof v[flag] === "string") limits[key] = parseLimit(key, v[flag] as string, `--${flag}`);
      // checked before connecting: bad input is exit 2 whether or not NATS is up
      const template = await buildTemplate(
        {
          name,
          base,
          layout,
          html,
          fonts,
          assets,
          baseSource: basePath,
          layoutSource: layoutPath ? basename(layoutPath) : undefined,
          htmlSource: htmlPath ? basename(htmlPath) : undefined,
        },
        limits,
      );
      const info = await withNats(ctx, (nc) => storeTemplate(nc, template));
      console.log(`stored template ${info.name} (${info.kind}, ${info.pages} page${info.pages === 1 ? "" : "s"}, ${info.size} bytes, ${info.digest})`);
      return 0;
    }
    case "ls": {
      want(0, "ls [--json]");
      const list = await withNats(ctx, (nc) => listTemplates(nc));
      if (v.json) console.log(JSON.stringify(list, null, 2));
      else if (list.length === 0) console.log(`no templates in ${TEMPLATES_BUCKET}; add one with \`docctl template put NAME base.pdf --layout layout.json\``);
      else {
        const rows = [["NAME", "KIND", "PAGES", "SIZE", "UPDATED", "DIGEST"], ...list.map((t) => [t.name, t.kind, String(t.pages), String(t.size), t.mtime.replace(/\.\d+Z$/, "Z"), t.digest.slice(0, 19)])];
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
      }
      return 0;
    }
    case "get": {
      want(1, "get NAME [--out DIR]");
      const [name] = args;
      const t = await withNats(ctx, (nc) => getTemplate(nc, name));
      const dir = (v.out as string | undefined) ?? name;
      const files: [string, Uint8Array | string][] = [["base.pdf", t.base]];
      if (t.kind === "layout") files.push(["layout.json", `${JSON.stringify(t.layout, null, 2)}\n`]);
      else files.push(["page.html", t.html ?? ""]);
      for (const f of t.fonts ?? []) files.push([join("fonts", f.source ?? `${f.name}.ttf`), f.bytes]);
      for (const a of t.assets ?? []) files.push([join("assets", a.name), a.bytes]);
      mkdirSync(dir, { recursive: true });
      if (t.fonts?.length) mkdirSync(join(dir, "fonts"), { recursive: true });
      if (t.assets?.length) mkdirSync(join(dir, "assets"), { recursive: true });
      for (const [f] of files)
        if (existsSync(join(dir, f)) && !v.force) throw new InputError(`${join(dir, f)} already exists; pass --force to overwrite or --out another directory`);
      for (const [f, data] of files) await Bun.write(join(dir, f), data);
      console.log(`wrote ${files.map(([f]) => join(dir, f)).join(", ")} (${t.kind} template ${name}, ${t.digest})`);
      return 0;
    }
    case "rm": {
      want(1, "rm NAME");
      const [name] = args;
      const removed = await withNats(ctx, (nc) => removeTemplate(nc, name));
      if (!removed) {
        console.error(`error: template ${JSON.stringify(name)} does not exist in ${TEMPLATES_BUCKET} (see docctl template ls)`);
        return 1;
      }
      console.log(`removed template ${name}`);
      return 0;
    }
    default:
      throw new InputError(sub ? `unknown subcommand ${JSON.stringify(sub)}: use put, ls, get or rm (see docctl template --help)` : `usage: docctl template put|ls|get|rm ... (see docctl template --help)`);
  }
}

/** NAME=FILE values of a repeatable option. */
function namedFiles(values: unknown, flag: string, example: string): [string, string][] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list.map((item) => {
    const m = /^([^=]+)=(.+)$/.exec(String(item));
    if (!m) throw new InputError(`${flag} ${JSON.stringify(item)}: give NAME=FILE, e.g. ${flag} ${example}`);
    return [m[1], m[2]];
  });
}

async function withNats<T>(ctx: CommandContext, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl template"));
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}

async function readInput(path: string): Promise<Uint8Array> {
  const f = Bun.file(path);
  if (!(await f.exists())) throw new InputError(`${path}: no such file`);
  return await f.bytes();
}

/** Maps errors to the CLI's exit codes: bad input 2, NATS unreachable 4, anything else 1. */
function report(err: unknown): number {
  const msg = (err as Error)?.message ?? String(err);
  if (err instanceof UnreachableError) {
    console.error(`error: ${msg}`);
    return 4;
  }
  if (err instanceof InputError) {
    console.error(`error: ${msg}`);
    return 2;
  }
  if (err instanceof JobError) {
    console.error(`error [${err.code}]: ${msg}`);
    const badInput = ["BAD_LAYOUT", "BAD_BASE_PDF", "ENCRYPTED_PDF", "BAD_TEMPLATE"].includes(err.code);
    return badInput ? 2 : 1;
  }
  console.error(`error: ${msg}`);
  return 1;
}
