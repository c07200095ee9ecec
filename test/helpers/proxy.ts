// A TCP proxy on 127.0.0.1 that tests put between a client and NATS to cut the network on demand.
import type { Socket, TCPSocketListener } from "bun";
import { freePort } from "./nats.ts";

export interface TcpProxy {
  /** where clients connect: nats://127.0.0.1:<port> */
  url: string;
  port: number;
  /** connections accepted so far */
  accepted(): number;
  /** close every open connection and refuse new ones until restore() */
  drop(): void;
  /** accept and forward connections again */
  restore(): void;
  /** drop() now, restore() after `ms` */
  cut(ms: number): Promise<void>;
  /**
   * Stop forwarding for `ms` without closing anything (a network that goes silent, no RST), then
   * deliver what queued up meanwhile, in order: late replies, late acks, late results.
   */
  stall(ms: number): Promise<void>;
  /** hold every chunk a client sends for `ms` before passing it on, in order (a slow link up; 0: none) */
  delayUp(ms: number): void;
  stop(): void;
}

interface Side {
  /** the other end, once connected */
  peer?: Socket<Side>;
  /** bytes that arrived before the other end was connected or could take them */
  pending: Uint8Array[];
  closed: boolean;
}

/** Forward 127.0.0.1:<free port> to 127.0.0.1:`targetPort`. */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const open = new Set<Socket<Side>>();
  let refusing = false;
  let stalled = false;
  let accepted = 0;
  let upDelayMs = 0;

  // Write what we can now; keep the rest queued until the socket drains (Bun writes may be partial).
  const send = (to: Socket<Side> | undefined, from: Side, data: Uint8Array) => {
    if (!to || stalled || from.pending.length) {
      from.pending.push(data);
      return;
    }
    const n = to.write(data);
    if (n < data.byteLength) from.pending.push(data.subarray(Math.max(0, n)));
  };
  const flush = (to: Socket<Side>, from: Side) => {
    while (from.pending.length && !stalled) {
      const chunk = from.pending[0]!;
      const n = to.write(chunk);
      if (n < chunk.byteLength) {
        from.pending[0] = chunk.subarray(Math.max(0, n));
        return;
      }
      from.pending.shift();
    }
  };
  const closeBoth = (s: Socket<Side>) => {
    s.data.closed = true;
    open.delete(s);
    const p = s.data.peer;
    if (p && !p.data.closed) {
      p.data.closed = true;
      open.delete(p);
      p.end();
    }
  };

  const listener: TCPSocketListener<Side> = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(client) {
        client.data = { pending: [], closed: false };
        if (refusing) {
          client.end();
          return;
        }
        accepted++;
        open.add(client);
        Bun.connect<Side>({
          hostname: "127.0.0.1",
          port: targetPort,
          socket: {
            open(server) {
              server.data = { peer: client, pending: [], closed: false };
              if (client.data.closed || refusing) {
                server.end();
                return;
              }
              open.add(server);
              client.data.peer = server;
              flush(server, client.data);
            },
            data(server, chunk) {
              send(client, server.data, chunk);
            },
            drain(server) {
              // the server socket can take more: flush what the client sent
              flush(server, client.data);
            },
            close(server) {
              closeBoth(server);
            },
            error(server) {
              closeBoth(server);
            },
          },
        }).catch(() => {
          client.data.closed = true;
          open.delete(client);
          client.end();
        });
      },
      data(client, chunk) {
        if (upDelayMs > 0) {
          // timers of one delay fire in the order they were set: the bytes keep their order
          const copy = new Uint8Array(chunk);
          setTimeout(() => {
            if (!client.data.closed) send(client.data.peer, client.data, copy);
          }, upDelayMs);
          return;
        }
        send(client.data.peer, client.data, chunk);
      },
      drain(client) {
        const server = client.data.peer;
        if (server) flush(client, server.data);
      },
      close(client) {
        closeBoth(client);
      },
      error(client) {
        closeBoth(client);
      },
    },
  });

  const proxy: TcpProxy = {
    url: `nats://127.0.0.1:${port}`,
    port,
    accepted: () => accepted,
    drop() {
      refusing = true;
      for (const s of [...open]) {
        s.data.closed = true;
        open.delete(s);
        // terminate(): a hard close, like a cable pulled, not a polite FIN after the queued bytes
        s.terminate();
      }
    },
    restore() {
      refusing = false;
    },
    async stall(ms) {
      stalled = true;
      await Bun.sleep(ms);
      stalled = false;
      for (const s of [...open]) if (s.data.peer && !s.data.peer.data.closed) flush(s.data.peer, s.data);
    },
    delayUp(ms) {
      upDelayMs = ms;
    },
    async cut(ms) {
      proxy.drop();
      await Bun.sleep(ms);
      proxy.restore();
    },
    stop() {
      proxy.drop();
      listener.stop(true);
    },
  };
  return proxy;
}
