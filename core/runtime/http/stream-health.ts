// The replica health of docctl's streams for /metrics and the /healthz detail of a worker or a manager:
// read from JetStream at most every 15 s in the background (a scrape or a health check never waits on
// a cluster electing leaders), kept from the last good reading, and turned into gauges and warnings.
import type { NatsConnection } from "@nats-io/transport-node";
import type { MetricsRegistry } from "../util/metrics.ts";
import { durabilityProblems, expectedReplicas, readStreamFacts, type StreamFacts } from "../nats/durability.ts";
import { clusterPeers } from "../nats/replicas.ts";

/** `{streams: [warnings]}` for a /healthz detail when the last reading had any, else nothing. */
export function streamsDetail(h: StreamHealth): { streams?: string[] } {
  const w = h.warnings();
  return w.length ? { streams: w } : {};
}

export class StreamHealth {
  private facts: StreamFacts[] = [];
  private readAt = 0;
  private reading?: Promise<void>;

  constructor(
    private nc: () => NatsConnection | undefined,
    private o: { intervalMs: number; timeoutMs: number } = { intervalMs: 15_000, timeoutMs: 1_000 },
  ) {}

  /** Read again if the last reading is older than the interval; never throws, never waits past timeoutMs. */
  async refresh(): Promise<void> {
    const nc = this.nc();
    if (!nc || nc.isClosed() || Date.now() - this.readAt < this.o.intervalMs) return;
    this.reading ??= readStreamFacts(nc, this.o.timeoutMs)
      .then((f) => {
        this.facts = f;
        this.readAt = Date.now();
      })
      // JetStream away or slow: keep the last reading, try again at the next scrape
      .catch(() => {})
      .finally(() => (this.reading = undefined));
    await this.reading;
  }

  /** The warnings of the last reading (fewer replicas than the cluster could give, replicas offline, no leader). */
  warnings(): string[] {
    // a health check answers at once from the last reading and starts the next one when it is due
    void this.refresh();
    const nc = this.nc();
    return this.readAt ? durabilityProblems(this.facts, "", clusterPeers(nc?.info)) : [];
  }

  /** Declare the stream gauges on `registry`, set at each scrape. */
  gauges(registry: MetricsRegistry): void {
    const replicas = registry.gauge("docctl_stream_replicas", "Replicas a docctl stream or bucket is configured with.");
    const current = registry.gauge("docctl_stream_replicas_current", "Replicas of a docctl stream that are caught up: its leader plus the current followers.");
    const available = registry.gauge("docctl_stream_available", "1 while a docctl stream has a leader (0: the servers holding it are down).");
    const expected = registry.gauge("docctl_stream_replicas_expected", "Replicas the NATS cluster could give each stream: min(3, servers in the cluster).");
    registry.collect(() => {
      // never holds a scrape up: the gauges are the last reading's, the next one starts when due
      void this.refresh();
      if (!this.readAt) return;
      for (const g of [replicas, current, available]) g.reset();
      for (const s of this.facts) {
        available.set({ stream: s.name }, s.available ? 1 : 0);
        if (!s.available) continue;
        replicas.set({ stream: s.name }, s.replicas);
        current.set({ stream: s.name }, (s.leader || s.replicas === 1 ? 1 : 0) + s.peers.filter((p) => p.current && !p.offline).length);
      }
      expected.set({}, expectedReplicas(clusterPeers(this.nc()?.info)));
    });
  }
}
