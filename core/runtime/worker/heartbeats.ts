// Heartbeats of jobs held by a proc: one period for the loop's ticker and the pull requests' idle heartbeat.
import type { JobMsg } from "../nats/job-msg.ts";
import type { Logger } from "../util/log.ts";

/** How often a held job is marked in progress: a third of the ack wait, at least 250 ms. */
export function heartbeatEveryMs(ackWaitMs: number): number {
  return Math.max(250, Math.floor(ackWaitMs / 3));
}

/**
 * One ticker heartbeats every job in flight for longer than a tick, so JetStream does not redeliver
 * long work; short jobs cost no timer of their own. Jobs waiting (for a fleet-wide limit) are
 * heartbeated at every tick. Returns the stop function.
 */
export function startHeartbeats(
  ackWaitMs: number,
  jobs: { running(): Iterable<{ id: string; handler: string; startedAt: number; msg: JobMsg }>; waiting(): Iterable<{ msg: JobMsg }> },
  log: Logger,
): () => void {
  const tick = heartbeatEveryMs(ackWaitMs);
  const timer = setInterval(() => {
    const now = Date.now();
    for (const j of jobs.running()) {
      if (now - j.startedAt < tick) continue;
      j.msg.working();
      log.debug(`heartbeat: job ${j.id} (${j.handler}) still running after ${now - j.startedAt}ms`);
    }
    for (const j of jobs.waiting()) j.msg.working();
  }, tick);
  return () => clearInterval(timer);
}
