// Daemons wait for NATS at start (waitForNats) until it answers or a stop signal comes.
import { waitForNats, type NatsOptions } from "../core/runtime/nats/connection.ts";
import type { Logger } from "../core/runtime/protocol/logger.ts";

/** True once NATS answers; false when SIGTERM/SIGINT came first (the daemon then exits 0: nothing ran). */
export async function natsOrSignal(opts: NatsOptions, log: Logger): Promise<boolean> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  try {
    return await waitForNats(opts, log, ac.signal);
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
  }
}
