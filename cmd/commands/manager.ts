// `docctl manager`: scale worker servers with the lag (local processes or DigitalOcean droplets).
import type { Command, CommandContext, GlobalOptions } from "../command.ts";
import { ConfigError } from "../../core/runtime/protocol/errors.ts";
import { parseDuration } from "../../core/runtime/util/duration.ts";
import { hostname } from "node:os";
import { declareHandlers } from "../../core/runtime/nats/handlers.ts";
import type { HandlerInfoV1 } from "../../core/runtime/protocol/handlers.ts";
import { tokenProblem } from "../../core/runtime/protocol/subjects.ts";
import { buildRegistry, pluginFileNames } from "../registry.ts";
import { authEnv, connectNats } from "../../core/runtime/nats/connection.ts";
import { natsOrSignal } from "../wait-nats.ts";
import { firstSignal } from "../../core/runtime/worker/proc.ts";
import { listOpt, natsOptionsFrom, strOpt } from "../options.ts";
import { cliLogger } from "../logger.ts";
import type { Logger } from "../../core/runtime/util/log.ts";
import { serveManager } from "../../core/scaler/http.ts";
import { HistoryWriter, historyInterval } from "../../core/runtime/http/history.ts";
import { knownHandlerNames } from "../../core/runtime/nats/handlers.ts";
import { durabilityWarnings } from "../../core/runtime/nats/durability.ts";
import { VERSION } from "../version.ts";
import { count, duration, httpUrl, listenAddr, oneOf, tokenList } from "../checks.ts";
import { createManager, type ScalerConfig } from "../../core/scaler/create.ts";
import { managerDefaults } from "../../core/scaler/manager.ts";
import { policyDefaults } from "../../core/scaler/policy.ts";
import { digitalOceanDefaults, fleetNameProblem, WORKER_TAG } from "../../core/scaler/providers/digitalocean.ts";
import { drainDefaults } from "../../core/runtime/client/fleet.ts";

export const command: Command = {
  name: "manager",
  summary: "grow and shrink the worker fleet with the queue (local processes or DigitalOcean droplets)",
  help: `Usage: docctl manager [options]

Reads the lag of every handler (jobs waiting + in flight) every --interval and what arrived and was
done since, measures each handler's cost per job on one server and the servers' boot time, and
creates a server only when the ready ones (and the booting ones, from when they will serve) cannot
clear the backlog within one boot + --clear-time; before a cost is measured, one server per
--jobs-per-worker jobs. Never drains a server while jobs wait, never before its paid time
(--billing-increment, --billing-minimum) is used; goes to --min once the idle gap to expect is longer
than a boot, or after --idle with no work. See docs/scaler.md. Only one manager acts at a time (a lease in KV bucket DOCCTL_MANAGER);
others wait as standbys and take over within --lease-ttl when it dies.

Options:
  --provider P          local (worker processes here, default) or digitalocean
  --min N               fewest servers (default ${policyDefaults.min})
  --max N               most servers, counting booting and draining ones (default ${policyDefaults.max})
  --jobs-per-worker N   jobs one server is given before their cost is measured (default ${policyDefaults.jobsPerWorker})
  --interval DUR        how often to look (default 5s)
  --idle DUR            no work at all this long → scale to --min whatever the idle gaps were (default 2m)
  --cooldown DUR        a server goes only after it was surplus this long (default 15s)
  --clear-time DUR      once a new server is ready, the fleet should clear the backlog within this (default 30s)
  --boot-time DUR       boot time (create → worker registered) assumed until one is measured
                        (default: 5s local, 60s digitalocean)
  --billing-increment DUR  servers are paid per this long (0: per second; default 0)
  --billing-minimum DUR    with this minimum (default: 60s digitalocean, as DigitalOcean bills; 0 local)
  --drain-timeout DUR   how long a server may take to finish its jobs before it is deleted anyway (default 5m)
  --lease-ttl DUR       leader lease lifetime (default max(15s, 3 × interval))
  --dry-run             log what would be done; change nothing
  --worker-nats URL     NATS URL the workers use (default: --nats); droplets need a reachable address
  --worker-args "..."   extra \`docctl worker\` arguments, one string, e.g. "--plugins ./plugins --procs 1";
                        the handlers of its --plugins directories are declared as with --handlers
  --handlers a,b        handlers the workers will serve beyond the built-in ones: their consumers and
                        DOCCTL_HANDLERS entries are made now, so their jobs are accepted and scale the
                        fleet up from zero before any worker has run (see docs/scaler.md)
  --boot-timeout DUR    a server is capacity only once its worker registered; one whose worker has not
                        registered this long after its creation is deleted and replaced (default:
                        2m local, 10m digitalocean)
  --max-boot-failures N after N servers in a row never came up, stop creating and say why in the log,
                        \`docctl status\` and /metrics; one is retried every 15m (default ${managerDefaults.maxBootFailures})
  --unhealthy-after N   /healthz answers 503, with the reason, after N ticks in a row failed (a provider
                        refusing the token, NATS errors) (default ${managerDefaults.unhealthyAfter})
  --http ADDR           serve /healthz, /metrics (servers by state, decisions, provider errors) and the
                        dashboard (servers beside workers) on ADDR, e.g. 127.0.0.1:9091; see docs/metrics.md
  --http-token TOKEN    bearer token for the dashboard's actions; without one they only work on loopback
  --http-host NAME      a name the HTTP server is reached by besides its address (repeatable)

DigitalOcean (--provider digitalocean):
  --image NAME|ID       snapshot the droplets boot from (default ${digitalOceanDefaults.image})
  --region SLUG         (default ${digitalOceanDefaults.region})
  --size SLUG           (default ${digitalOceanDefaults.size})
  --ssh-key ID|FP       SSH key to install (repeatable)
  --fleet NAME          this install's fleet: every droplet carries the tag docctl-fleet:NAME beside
                        ${WORKER_TAG}, and only droplets with both are ever listed, drained or deleted
                        (default: derived from the tasks stream on this NATS, so two installs never share one)
  --tag TAG             extra tag (repeatable)
  --worker-creds PATH   a least-privilege .creds file baked into the snapshot at PATH: the droplets'
                        worker.env names it (DOCCTL_NATS_CREDS) and no secret travels in user data.
                        A password in --worker-nats would: the manager warns (docs/deploy.md)
  --do-api-url URL      API origin (default https://api.digitalocean.com)
  --do-token-file FILE  read the API token from FILE (default: env DIGITALOCEAN_TOKEN); never logged

NATS not reachable at start is waited for (a line per try, backoff up to 10s).
Exit codes: 0 stopped cleanly, 1 unexpected error, 2 bad usage (or no DigitalOcean token).

Examples:
  docctl manager --max 4 --jobs-per-worker 10
  DIGITALOCEAN_TOKEN=... docctl manager --provider digitalocean --region lon1 --ssh-key 1234 \\
      --worker-nats nats://10.16.0.5:4222 --max 20
  docctl manager --provider digitalocean --dry-run -v`,
  options: {
    provider: { type: "string", check: oneOf("local", "digitalocean") },
    min: { type: "string", check: count(0) },
    max: { type: "string", check: count(1) },
    "jobs-per-worker": { type: "string", check: count(1) },
    interval: { type: "string", check: duration },
    idle: { type: "string", check: duration },
    cooldown: { type: "string", check: duration },
    "clear-time": { type: "string", check: duration },
    "boot-time": { type: "string", check: duration },
    "billing-increment": { type: "string", check: duration },
    "billing-minimum": { type: "string", check: duration },
    "drain-timeout": { type: "string", check: duration },
    "lease-ttl": { type: "string", check: duration },
    "dry-run": { type: "boolean" },
    "worker-nats": { type: "string" },
    "worker-args": { type: "string" },
    handlers: { type: "string", check: tokenList },
    image: { type: "string" },
    region: { type: "string" },
    size: { type: "string" },
    "ssh-key": { type: "string", multiple: true },
    tag: { type: "string", multiple: true },
    fleet: { type: "string", check: (v: string) => fleetNameProblem(v) },
    "boot-timeout": { type: "string", check: duration },
    "max-boot-failures": { type: "string", check: count(1) },
    "unhealthy-after": { type: "string", check: count(1) },
    http: { type: "string", check: listenAddr },
    "http-token": { type: "string" },
    "http-host": { type: "string", multiple: true },
    "do-api-url": { type: "string", check: httpUrl },
    "do-token-file": { type: "string" },
    "worker-creds": { type: "string" },
  },
  verbatim: ["worker-args"],
  async run(ctx) {
    const cfg = managerConfig(ctx);
    const log = scalerLogger(ctx.global);
    // Every handler the workers will serve is known from the start (consumer and DOCCTL_HANDLERS entry),
    // so its jobs are accepted and wake a fleet at zero: built-ins, --handlers, and the plugin files
    // of the workers' --plugins directories (names only: the plugins are not imported here).
    const infos = await managerHandlers(cfg, ctx, log);
    // Local workers serve exactly these: jobs for a handler nobody registered and they lack do not scale.
    if (cfg.provider === "local") cfg.manager.handlers = infos.map((i) => i.name);
    // a daemon: NATS not reachable yet is waited for (a line per try), not an exit 4
    if (!(await natsOrSignal(natsOptionsFrom(ctx.global, "docctl manager"), log))) return 0;
    const nc = await connectNats(natsOptionsFrom(ctx.global, "docctl manager", { reconnectForever: true }));
    const { manager } = createManager(cfg, nc, log);
    const addr = strOpt(ctx, "http");
    const token = strOpt(ctx, "http-token");
    ctx.global.secrets?.add(token);
    const http = addr
      ? await serveManager({ addr, token, hosts: listOpt(ctx, "http-host"), manager, nc, version: VERSION, intervalMs: cfg.manager.intervalMs ?? managerDefaults.intervalMs })
      : undefined;
    if (http) log.info(`serving /metrics, /healthz and the dashboard on ${http.url}`);
    await declareHandlers(nc, infos);
    log.info(`handlers known to the fleet: ${infos.map((i) => i.name).join(", ")}`);
    // data-loss risks of the server and streams (old server, unreplicated streams): once, at start
    for (const w of await durabilityWarnings(nc).catch(() => [])) log.warn(w);
    await manager.start();
    // the dashboard's history: queue samples of every handler, so a fleet at zero still has them
    const history = new HistoryWriter({
      nc,
      handlers: () => knownHandlerNames(nc),
      writer: `manager.${process.pid}`,
      options: { intervalMs: historyInterval(process.env.DOCCTL_HISTORY_INTERVAL) },
      onError: (err) => log.debug(`history sample not written: ${(err as Error).message}`),
    });
    history.start();
    await firstSignal();
    history.stop();
    log.info("stopping: interrupting drains in progress (their servers stay for the next manager), releasing the lease");
    await manager.stop();
    await http?.stop();
    await nc.drain();
    return 0;
  },
};

/** Turns the parsed flags into a ScalerConfig (durations parsed here, at the edge). */
export function managerConfig(ctx: CommandContext): ScalerConfig {
  const v = ctx.values;
  const str = (k: string) => (v[k] === undefined ? undefined : String(v[k]));
  const list = (k: string) => (Array.isArray(v[k]) ? (v[k] as unknown[]).map(String) : v[k] === undefined ? [] : [String(v[k])]);
  const int = (k: string, def: number, min: number) => {
    const s = str(k);
    if (s === undefined) return def;
    if (!/^\d+$/.test(s) || Number(s) < min) throw new ConfigError(`--${k} must be a whole number of at least ${min} (got "${s}")`, k);
    return Number(s);
  };
  const dur = (k: string, def: number) => (str(k) === undefined ? def : parseDuration(str(k)!, `--${k}`));
  const provider = (str("provider") ?? "local") as ScalerConfig["provider"];
  if (provider !== "local" && provider !== "digitalocean") throw new ConfigError(`--provider must be local or digitalocean (got "${provider}")`, "provider");
  const intervalMs = dur("interval", managerDefaults.intervalMs);
  const drainMs = dur("drain-timeout", drainDefaults.timeoutMs);
  const workerArgs = (str("worker-args") ?? "").split(/\s+/).filter(Boolean);
  return {
    provider,
    natsUrl: ctx.global.nats,
    workerNatsUrl: str("worker-nats"),
    manager: {
      dryRun: v["dry-run"] === true,
      intervalMs,
      leaseTtlMs: str("lease-ttl") === undefined ? undefined : dur("lease-ttl", 0),
      bootTimeoutMs: str("boot-timeout") === undefined ? undefined : dur("boot-timeout", 0),
      maxBootFailures: int("max-boot-failures", managerDefaults.maxBootFailures, 1),
      unhealthyAfter: int("unhealthy-after", managerDefaults.unhealthyAfter, 1),
      policy: {
        min: int("min", policyDefaults.min, 0),
        max: int("max", policyDefaults.max, 1),
        jobsPerWorker: int("jobs-per-worker", policyDefaults.jobsPerWorker, 1),
        idleMs: dur("idle", policyDefaults.idleMs),
        cooldownMs: dur("cooldown", policyDefaults.cooldownMs),
        clearMs: str("clear-time") === undefined ? undefined : dur("clear-time", 0),
        bootMs: str("boot-time") === undefined ? undefined : dur("boot-time", 0),
        billingIncrementMs: str("billing-increment") === undefined ? undefined : dur("billing-increment", 0),
        billingMinimumMs: str("billing-minimum") === undefined ? undefined : dur("billing-minimum", 0),
      },
    },
    local: { drainTimeoutMs: drainMs, args: workerArgs, env: authEnv(ctx.global.auth), secrets: ctx.global.secrets },
    digitalocean: {
      image: str("image") ?? digitalOceanDefaults.image,
      region: str("region") ?? digitalOceanDefaults.region,
      size: str("size") ?? digitalOceanDefaults.size,
      sshKeys: list("ssh-key"),
      tags: list("tag"),
      fleet: str("fleet"),
      workerArgs,
      workerCreds: str("worker-creds"),
      bootTimeoutMs: dur("boot-timeout", digitalOceanDefaults.bootTimeoutMs),
      drain: { ...drainDefaults, timeoutMs: drainMs },
    },
    doApiUrl: str("do-api-url"),
    doTokenFile: str("do-token-file"),
  };
}

/**
 * The handlers a manager declares: the built-ins (with description and schema), --handlers, and the
 * plugin file names of every --plugins directory in --worker-args (else of the [worker] plugins the
 * workers read from docctl.toml or DOCCTL_WORKER_PLUGINS, as the manager sees them). A directory the manager cannot
 * read is an error with the local provider (the workers would fail the same way) and a warning for
 * droplets (the directory is theirs).
 */
export async function managerHandlers(cfg: ScalerConfig, ctx: CommandContext, log: Logger): Promise<HandlerInfoV1[]> {
  const by = `manager@${hostname()}`;
  const builtins = await buildRegistry();
  const infos = new Map(builtins.names().map((n) => [n, builtins.info(n, by, "manager")]));
  const named = (ctx.values.handlers === undefined ? [] : String(ctx.values.handlers).split(",")).map((s) => s.trim()).filter(Boolean);
  for (const h of named) {
    const p = tokenProblem(h);
    if (p) throw new ConfigError(`--handlers: handler name "${h}" ${p}`, "handlers");
  }
  const fromPlugins: string[] = [];
  let dirs = pluginDirsOf(cfg.local?.args ?? []);
  if (!dirs.length) {
    const s = ctx.explain?.().settings.find((x) => x.section === "worker" && x.key === "plugins" && x.source !== "default");
    const v = s?.value;
    dirs = (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((d) => String(d).split(",")).map((d) => d.trim()).filter(Boolean);
  }
  for (const dir of dirs) {
    try {
      fromPlugins.push(...pluginFileNames([dir]));
    } catch (err) {
      if (cfg.provider === "local") throw new ConfigError(`--worker-args: ${(err as Error).message}`, "worker-args");
      log.warn(`${(err as Error).message}: its handlers are not declared here; name them with --handlers`);
    }
  }
  for (const n of [...named, ...fromPlugins]) if (!infos.has(n)) infos.set(n, { v: 1, name: n, source: "manager", registered_by: by, updated_at: Date.now() });
  return [...infos.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The --plugins directories in worker arguments (`--plugins A --plugins=B,C`), in order. */
export function pluginDirsOf(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = a === "--plugins" ? args[++i] : a.startsWith("--plugins=") ? a.slice("--plugins=".length) : undefined;
    if (v !== undefined) out.push(...v.split(",").map((s) => s.trim()).filter(Boolean));
  }
  return out;
}

/** The runtime's logger, with scaling decisions shown from the default verbosity and debug lines from -vvvv. */
export function scalerLogger(g: GlobalOptions): Logger {
  const log = cliLogger(g, "manager", { verbosity: Math.max(1, g.verbosity) });
  return { ...log, info: log.startup };
}
