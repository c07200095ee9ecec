// Starts a three-node NATS cluster with JetStream on 127.0.0.1 free ports, for replicated-stream tests.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { freePort } from "./nats.ts";

export interface ClusterNode {
  name: string;
  port: number;
  url: string;
  /** the running process, undefined while the node is down */
  proc?: Subprocess;
}

export interface NatsCluster {
  nodes: ClusterNode[];
  /** every node's URL, comma-separated (what --nats takes) */
  urls: string;
  /** SIGKILL node `i` (its store stays) */
  kill(i: number): Promise<void>;
  /** start node `i` again on its port and store */
  start(i: number): Promise<void>;
  /** resolves once JetStream answers through every running node (a meta leader is elected) */
  ready(timeoutMs?: number): Promise<void>;
  /** stop every node and delete the stores */
  cleanup(): Promise<void>;
}

/** Start `size` (default 3) clustered nats-servers with JetStream; resolves when JetStream is ready. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "docctl-cluster-"));
  const clientPorts: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    routePorts.push(await freePort());
  }
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(", ");
  const nodes: ClusterNode[] = clientPorts.map((port, i) => ({ name: `n${i + 1}`, port, url: `nats://127.0.0.1:${port}` }));
  const confs = nodes.map((n, i) => {
    const conf = join(dir, `${n.name}.conf`);
    // Small limits: seven engineers share two cores; a node's JetStream must not claim the machine.
    const text = `server_name: ${n.name}
listen: 127.0.0.1:${n.port}
jetstream { store_dir: "${join(dir, n.name)}", max_memory_store: 64MB, max_file_store: 1GB }
cluster {
  name: docctl-test
  listen: 127.0.0.1:${routePorts[i]}
  routes: [${routes}]
}
`;
    writeFileSync(conf, text);
    return conf;
  });

  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url).join(","),
    async kill(i) {
      const p = nodes[i]!.proc;
      nodes[i]!.proc = undefined;
      if (!p || p.exitCode !== null) return;
      p.kill("SIGKILL");
      await p.exited;
    },
    async start(i) {
      if (nodes[i]!.proc) return;
      nodes[i]!.proc = await spawnNode(confs[i]!, nodes[i]!.port);
    },
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (const n of nodes) {
        if (!n.proc) continue;
        for (;;) {
          try {
            const nc = await connect({ servers: n.url, reconnect: false, timeout: 1000 });
            try {
              const jsm = await jetstreamManager(nc, { timeout: 1000 });
              await jsm.getAccountInfo();
              break;
            } finally {
              await nc.close();
            }
          } catch (err) {
            if (Date.now() > deadline) throw new Error(`JetStream not ready through ${n.name} within ${timeoutMs}ms: ${(err as Error).message}`);
            await Bun.sleep(200);
          }
        }
      }
    },
    async cleanup() {
      await Promise.all(
        nodes.map(async (n) => {
          const p = n.proc;
          n.proc = undefined;
          if (!p || p.exitCode !== null) return;
          p.kill("SIGTERM");
          const t = setTimeout(() => p.kill("SIGKILL"), 5000);
          await p.exited;
          clearTimeout(t);
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map((_, i) => cluster.start(i)));
    await cluster.ready();
  } catch (err) {
    await cluster.cleanup();
    throw err;
  }
  return cluster;
}

async function spawnNode(conf: string, port: number): Promise<Subprocess> {
  const bin = Bun.which("nats-server");
  if (!bin) throw new Error("nats-server is not installed: run `apt-get install nats-server` (npm test does this for you)");
  const proc = Bun.spawn([bin, "-c", conf], { stdout: "ignore", stderr: "ignore" });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`nats-server (${conf}) exited at start with ${proc.exitCode}`);
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return proc;
    } catch {
      await Bun.sleep(25);
    }
  }
  proc.kill("SIGKILL");
  throw new Error(`nats-server (${conf}) did not listen on ${port} within 10s`);
}
