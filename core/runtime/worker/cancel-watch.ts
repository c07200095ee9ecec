// The worker's view of cancel markers (KV DOCCTL_CANCEL): which job ids must not run, and a callback
// when one is cancelled while it runs.
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { cancelBucket } from "../nats/buckets.ts";

/** Watches the cancel bucket: the current markers at start, then every new one as it is written. */
export class CancelWatch {
  private ids = new Set<string>();
  private iter?: { stop(): void };
  private loop?: Promise<void>;

  constructor(private nc: NatsConnection, private onCancel: (id: string) => void) {}

  async start(): Promise<void> {
    const kv: KV = await cancelBucket(this.nc);
    const it = await kv.watch();
    this.iter = it;
    this.loop = (async () => {
      for await (const e of it) {
        if (e.operation === "PUT") {
          this.ids.add(e.key);
          this.onCancel(e.key);
        } else {
          this.ids.delete(e.key);
        }
      }
    })().catch(() => {}); // the watch ends with its connection (stop() or a close): nothing left to watch
  }

  /** Whether job `id` has been cancelled (as far as the watch has seen). */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  async stop(): Promise<void> {
    this.iter?.stop();
    await this.loop;
  }
}
