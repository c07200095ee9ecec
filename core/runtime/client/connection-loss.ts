// Noticing that the connection to NATS is gone for good (for a submit that should stop waiting).
import type { NatsConnection } from "@nats-io/transport-node";

/** Calls `onLost` once the connection has been down for `graceMs` without coming back. */
export function watchLoss(nc: NatsConnection, graceMs: number, onLost: () => void): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  void (async () => {
    for await (const s of nc.status()) {
      if (stopped) break;
      if (s.type === "disconnect" && !timer) timer = setTimeout(onLost, graceMs);
      else if (s.type === "reconnect") {
        clearTimeout(timer);
        timer = undefined;
      }
    }
  })().catch(() => {
    /* the status iterator ends with an error when the connection is closed: the watch is over */
  });
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
