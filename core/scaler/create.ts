// Builds a manager and its provider from one typed config: what `docctl manager` and `docctl up` call.
import type { NatsConnection } from "@nats-io/transport-node";
import { readFileSync } from "node:fs";
import { ConfigError } from "../runtime/protocol/errors.ts";
import { workerCredentials } from "./credentials.ts";
import { drainDefaults } from "../runtime/client/fleet.ts";
import { Manager, managerDefaults, type ManagerOptions } from "./manager.ts";
import { digitalOceanBilling, policyDefaults } from "./policy.ts";
import { DigitalOceanProvider, digitalOceanDefaults, fleetNameProblem, type DigitalOceanOptions } from "./providers/digitalocean.ts";
import { DoClient, doClientDefaults } from "./providers/do-api.ts";
import { LocalProvider, localDefaults, workerCommand, type LocalOptions } from "./providers/local.ts";
import type { Provider } from "./providers/types.ts";
import type { Logger } from "../runtime/protocol/logger.ts";

/** Everything `docctl manager` can be told. Durations in ms. */
export interface ScalerConfig {
  /** where the workers run */
  provider: "local" | "digitalocean";
  /** NATS URL the manager uses */
  natsUrl: string;
  /** NATS URL the workers use (droplets cannot reach 127.0.0.1); default natsUrl */
  workerNatsUrl?: string;
  manager: Partial<ManagerOptions>;
  /** local provider: the worker command (default: this binary's `worker`) and drain bound */
  local?: Partial<LocalOptions>;
  /** digitalocean provider options (image, region, size, ssh keys, tags, boot and drain bounds) */
  digitalocean?: Partial<DigitalOceanOptions>;
  /** DigitalOcean API origin (default https://api.digitalocean.com) */
  doApiUrl?: string;
  /** DigitalOcean token; else read from doTokenFile; else DIGITALOCEAN_TOKEN */
  doToken?: string;
  doTokenFile?: string;
}

/** A manager ready to `start()`, with the provider it drives. */
export function createManager(cfg: ScalerConfig, nc: NatsConnection, log: Logger): { manager: Manager; provider: Provider } {
  // a local worker starts in seconds and costs nothing; a droplet boots for a minute and is billed per second, 60 s at least
  const byProvider = cfg.provider === "digitalocean" ? { bootMs: 60_000, ...digitalOceanBilling } : { bootMs: 5_000, billingIncrementMs: 0, billingMinimumMs: 0 };
  const given = Object.fromEntries(Object.entries(cfg.manager.policy ?? {}).filter(([, v]) => v !== undefined));
  const policy = { ...policyDefaults, ...byProvider, ...given };
  if (!(policy.clearMs! > 0)) throw new ConfigError("--clear-time must be above 0", "clear-time");
  if (policy.max < 1) throw new ConfigError("--max must be at least 1", "max");
  if (policy.min > policy.max) throw new ConfigError(`--min ${policy.min} is above --max ${policy.max}`, "min");
  if (policy.jobsPerWorker < 1) throw new ConfigError("--jobs-per-worker must be at least 1", "jobs-per-worker");
  const intervalMs = cfg.manager.intervalMs ?? managerDefaults.intervalMs;
  const abort = new AbortController();
  const workerNats = cfg.workerNatsUrl ?? cfg.natsUrl;
  let provider: Provider;
  if (cfg.provider === "local") {
    provider = new LocalProvider({ ...localDefaults, command: workerCommand(), ...cfg.local, natsUrl: workerNats }, log, nc);
  } else if (cfg.provider === "digitalocean") {
    const token = cfg.doToken ?? readToken(cfg.doTokenFile) ?? process.env.DIGITALOCEAN_TOKEN ?? "";
    if (!token) throw new ConfigError("no DigitalOcean token: set DIGITALOCEAN_TOKEN or pass --do-token-file FILE", "do-token-file");
    const creds = workerCredentials({ provider: "digitalocean", workerNatsUrl: workerNats, workerCreds: cfg.digitalocean?.workerCreds });
    if (creds.refused) throw new ConfigError(`--worker-nats: ${creds.refused}`, "worker-nats");
    log.info(`worker credentials: ${creds.mode}`);
    for (const w of creds.warnings) log.warn(`WARNING: ${w}`);
    if (/^nats:\/\/(127\.|localhost)/.test(workerNats)) {
      log.warn(`droplets will connect to ${workerNats}, which is this machine's loopback: pass --worker-nats with an address they can reach`);
    }
    const client = new DoClient({
      ...doClientDefaults,
      token,
      baseUrl: cfg.doApiUrl ?? doClientDefaults.baseUrl,
      signal: abort.signal,
      onWait: (what, ms) => log.warn(`${what} (${Math.ceil(ms / 1000)}s)`),
      onCall: (what, status, ms) => log.debug(`DigitalOcean API: ${what} → ${status} in ${ms}ms`),
    });
    const o = { ...digitalOceanDefaults, drain: drainDefaults, ...cfg.digitalocean, natsUrl: workerNats, stream: cfg.manager.stream ?? managerDefaults.stream };
    const bad = o.fleet === undefined ? undefined : fleetNameProblem(o.fleet);
    if (bad) throw new ConfigError(`--fleet ${bad}`, "fleet");
    provider = new DigitalOceanProvider(client, nc, o, log);
  } else {
    throw new ConfigError(`--provider must be local or digitalocean (got "${cfg.provider}")`, "provider");
  }
  const leaseTtlMs = cfg.manager.leaseTtlMs ?? Math.max(managerDefaults.leaseTtlMs, 3 * intervalMs);
  // a local worker registers in seconds; a droplet boots for minutes
  const bootTimeoutMs = cfg.manager.bootTimeoutMs ?? (cfg.provider === "local" ? 2 * 60_000 : managerDefaults.bootTimeoutMs);
  const manager = new Manager({ nc, provider, log, abort }, { ...cfg.manager, policy, intervalMs, leaseTtlMs, bootTimeoutMs, workerNatsUrl: workerNats });
  return { manager, provider };
}

function readToken(file?: string): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch (err) {
    throw new ConfigError(`--do-token-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "do-token-file");
  }
}
