// Starts a real nats-server with JetStream on a free port for a test, and stops it afterwards.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import type { Subprocess } from "bun";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, type NatsOptions } from "../../core/runtime/nats/connection.ts";

/** A free TCP port on 127.0.0.1 (bound and released, so another process can take it). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  proc: Subprocess;
  /** stop the server (SIGTERM, then SIGKILL) and keep the store */
  stop(): Promise<void>;
  /** start it again on the same port and store */
  restart(): Promise<void>;
  /** stop it and delete its store */
  cleanup(): Promise<void>;
}

export interface NatsServerOptions {
  /** extra lines for the config file */
  config?: string;
  /** extra command-line arguments */
  args?: string[];
  /** listen on this port (a test that starts a daemon before its server); a free one by default */
  port?: number;
  /** the nats-server binary (default: the one on PATH, 2.14+); the old-server test passes 2.10's */
  bin?: string;
}

/** Debian trixie's nats-server 2.10, extracted by scripts/deps.sh for the test that docctl refuses it. */
export const OLD_NATS_SERVER = "/usr/local/lib/docctl/nats-server-2.10";

/**
 * A test file's server and connection, as nats.js's own tests do it:
 *   let ns: NatsServerHandle; let nc: NatsConnection;
 *   beforeAll(async () => ({ ns, nc } = await setup()));
 *   afterAll(() => cleanup(ns, nc));
 */
export async function setup(opts: NatsServerOptions & { connect?: Partial<NatsOptions> } = {}): Promise<{ ns: NatsServerHandle; nc: NatsConnection }> {
  const ns = await startNatsServer(opts);
  try {
    return { ns, nc: await connectNats({ url: ns.url, ...opts.connect }) };
  } catch (err) {
    await ns.cleanup();
    throw err;
  }
}

/** Close the connections still open, stop the server and delete its store. Anything may be undefined (a set-up that failed half-way). */
export async function cleanup(ns: NatsServerHandle | undefined, ...ncs: (NatsConnection | undefined)[]): Promise<void> {
  await Promise.all(ncs.map((nc) => (nc && !nc.isClosed() ? nc.close().catch(() => {}) : undefined)));
  await ns?.cleanup();
}

/** Start `nats-server -js` on a free port with a fresh store dir; resolves once it accepts connections. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const port = opts.port ?? (await freePort());
  const storeDir = mkdtempSync(join(tmpdir(), "docctl-nats-"));
  const confPath = join(storeDir, "nats.conf");
  await Bun.write(
    confPath,
    `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(storeDir, "js")}" }\n${opts.config ?? ""}\n`,
  );
  const handle: NatsServerHandle = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    proc: undefined as unknown as Subprocess,
    async stop() {
      const p = handle.proc;
      if (p.exitCode !== null || p.signalCode) return;
      p.kill("SIGTERM");
      const t = setTimeout(() => p.kill("SIGKILL"), 5000);
      await p.exited;
      clearTimeout(t);
    },
    async restart() {
      await handle.stop();
      handle.proc = await spawnServer(confPath, port, opts.args ?? [], opts.bin);
    },
    async cleanup() {
      await handle.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  handle.proc = await spawnServer(confPath, port, opts.args ?? [], opts.bin);
  return handle;
}

async function spawnServer(confPath: string, port: number, args: string[], given?: string): Promise<Subprocess> {
  const bin = given ?? Bun.which("nats-server");
  if (!bin) throw new Error("nats-server is not installed: run scripts/deps.sh (npm test does this for you)");
  const proc = Bun.spawn([bin, "-c", confPath, ...args], { stdout: "ignore", stderr: "pipe" });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      const err = await new Response(proc.stderr as ReadableStream).text();
      throw new Error(`nats-server exited at start: ${err}`);
    }
    if (await canConnect(port)) return proc;
    await Bun.sleep(25);
  }
  proc.kill("SIGKILL");
  throw new Error(`nats-server did not listen on ${port} within 10s`);
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const sock = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    sock.end();
    return true;
  } catch {
    return false;
  }
}
