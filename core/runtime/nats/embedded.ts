// The embedded default: a nats-server child with JetStream, its store under ./.docctl/, for `docctl up`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { ConfigError } from "../protocol/errors.ts";

export interface EmbeddedNats {
  url: string;
  version: string;
  stop(): Promise<void>;
}

/** `2.9.10` → [2, 9, 10] */
export function parseVersion(v: string): number[] {
  return (/(\d+)\.(\d+)\.(\d+)/.exec(v) ?? []).slice(1).map(Number);
}

/** Whether this server version understands `sync_interval: always` (added in 2.10). */
export function supportsSyncAlways(version: string): boolean {
  const [maj = 0, min = 0] = parseVersion(version);
  return maj > 2 || (maj === 2 && min >= 10);
}

/** The server config: loopback only, JetStream stored under `dir`, flushed before acks where supported. */
export function embeddedConfig(o: { host: string; port: number; storeDir: string; syncAlways: boolean }): string {
  return [
    `listen: "${o.host}:${o.port}"`,
    `jetstream {`,
    `  store_dir: "${o.storeDir}"`,
    // Flush to disk before acknowledging: a power cut must not lose acknowledged jobs.
    o.syncAlways ? `  sync_interval: always` : `  # sync_interval: always needs nats-server 2.10+; this one flushes every 2 minutes`,
    `}`,
    "",
  ].join("\n");
}

/** Whether `url` is a single server on this machine (where `docctl up` may start one). */
export function isLocalNatsUrl(url: string): boolean {
  if (url.includes(",")) return false;
  try {
    return ["127.0.0.1", "localhost", "::1", "[::1]"].includes(new URL(url.trim().replace(/^nats:/, "http:")).hostname);
  } catch {
    return false; // not a URL (TypeError): not a local server, the connect says what is wrong
  }
}

/** Start nats-server for `url` (which must point at this machine); resolves once it accepts connections. */
export async function startEmbeddedNats(url: string, baseDir = ".docctl"): Promise<EmbeddedNats> {
  const u = new URL(url.replace(/^nats:/, "http:"));
  if (!isLocalNatsUrl(url)) {
    throw new ConfigError(`cannot reach NATS at ${url}, and docctl up only starts a server on this machine (127.0.0.1); start yours or fix --nats`, "nats");
  }
  const bin = Bun.which("nats-server");
  if (!bin) {
    throw new ConfigError(
      "nats-server is not installed and no NATS is reachable. Install it (Debian/Ubuntu: sudo apt-get install nats-server), or point --nats at a running server.",
      "nats",
    );
  }
  const version = (await new Response(Bun.spawn([bin, "--version"], { stdout: "pipe" }).stdout).text()).trim();
  const dir = resolve(baseDir);
  mkdirSync(join(dir, "nats"), { recursive: true });
  const conf = join(dir, "nats.conf");
  const port = Number(u.port || 4222);
  writeFileSync(conf, embeddedConfig({ host: "127.0.0.1", port, storeDir: join(dir, "nats"), syncAlways: supportsSyncAlways(version) }));
  // Its own process group: a terminal's Ctrl-C must not stop the server under workers still storing
  // their results; `docctl up` stops it after the drain.
  const proc: Subprocess = Bun.spawn([bin, "-c", conf], { stdout: "ignore", stderr: Bun.file(join(dir, "nats-server.log")), detached: true });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new ConfigError(`nats-server exited at start (code ${proc.exitCode}); see ${join(dir, "nats-server.log")}`, "nats");
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      break;
    } catch {
      // ECONNREFUSED while nats-server starts: try again until the deadline, then say where its log is
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new ConfigError(`nats-server did not accept connections on port ${port} within 10s; see ${join(dir, "nats-server.log")}`, "nats");
      }
      await Bun.sleep(50);
    }
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    version,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await proc.exited;
      clearTimeout(t);
    },
  };
}
