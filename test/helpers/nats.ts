// Starts a real nats-server with JetStream on a free port for a test, and stops it afterwards.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { createServer } from "node:net";
import type { Subprocess } from "bun";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, type NatsOptions } from "../../core/runtime/nats/connection.ts";

/** Ports handed out by freePort in this process: never twice. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 (bound and released, so another process can take it). Picked at random
 * below the kernel's ephemeral range (32768 and up), where the kernel never puts its own
 * listen(0) and outgoing ports, and never one this process handed out before: two callers racing for
 * the same port was the flake of the old listen(0)-and-close. A server the test starts itself should
 * rather listen on port -1 and say its port (startNatsServer does).
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  // a crowded range: let the kernel pick
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      handedOut.add(port);
      srv.close(() => resolve(port));
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
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

/**
 * Start `nats-server -js` with a fresh store dir; resolves once it accepts connections. Without
 * `opts.port` the server picks its own port (listen on -1) and writes it to a ports file: no race with
 * another process for a port probed free a moment before. A restart keeps the port it got.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const storeDir = mkdtempSync(join(tmpdir(), "docctl-nats-"));
  const confPath = join(storeDir, "nats.conf");
  const writeConf = (port: number) =>
    Bun.write(
      confPath,
      `listen: 127.0.0.1:${port}\nports_file_dir: "${storeDir}"\njetstream { store_dir: "${join(storeDir, "js")}" }\n${opts.config ?? ""}\n`,
    );
  await writeConf(opts.port ?? -1);
  const handle: NatsServerHandle = {
    url: "",
    port: 0,
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
      ({ proc: handle.proc } = await spawnServer(confPath, storeDir, opts.args ?? [], opts.bin));
    },
    async cleanup() {
      await handle.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  try {
    const started = await spawnServer(confPath, storeDir, opts.args ?? [], opts.bin);
    handle.proc = started.proc;
    handle.port = started.port;
    handle.url = `nats://127.0.0.1:${started.port}`;
    // a restart comes back on the same port (clients reconnect to the URL they were given)
    await writeConf(started.port);
  } catch (err) {
    rmSync(storeDir, { recursive: true, force: true });
    throw err;
  }
  return handle;
}

/** The last `max` characters of a stream, read as it comes so the child never blocks on a full pipe. */
function drain(stream: ReadableStream<Uint8Array>, max = 64 * 1024): () => string {
  let tail = "";
  const dec = new TextDecoder();
  void (async () => {
    for await (const chunk of stream) tail = (tail + dec.decode(chunk, { stream: true })).slice(-max);
  })().catch(() => {
    /* the pipe closed with the process: what was read is kept */
  });
  return () => tail;
}

async function spawnServer(confPath: string, storeDir: string, args: string[], given?: string): Promise<{ proc: Subprocess; port: number }> {
  const bin = given ?? Bun.which("nats-server");
  if (!bin) throw new Error("nats-server is not installed: run scripts/deps.sh (npm test does this for you)");
  const proc = Bun.spawn([bin, "-c", confPath, ...args], { stdout: "ignore", stderr: "pipe" });
  const stderr = drain(proc.stderr as ReadableStream<Uint8Array>);
  const portsFile = join(storeDir, `${basename(bin)}_${proc.pid}.ports`);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      await Bun.sleep(50); // the rest of its last words
      throw new Error(`nats-server exited at start (code ${proc.exitCode}): ${stderr()}`);
    }
    const port = readPort(portsFile);
    if (port && (await canConnect(port))) return { proc, port };
    await Bun.sleep(25);
  }
  proc.kill("SIGKILL");
  throw new Error(`nats-server did not listen within 10s (no client port in ${portsFile}): ${stderr()}`);
}

/** The client port from nats-server's ports file (`{"nats": ["nats://127.0.0.1:4222"], ...}`), once written. */
function readPort(file: string): number | undefined {
  try {
    const url = (JSON.parse(readFileSync(file, "utf8")) as { nats?: string[] }).nats?.[0];
    const port = url ? Number(new URL(url).port) : NaN;
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined; // not written yet, or half-written
  }
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
