// What the supervisor does, through NATS, with the jobs of a proc that stalled or ended with them in
// flight: hold them while the watchdog waits (in-progress acks on their ack subjects, so JetStream does
// not start a second attempt elsewhere), then note how the attempt ended and hand them back (nak) so
// they are redelivered at once instead of after the ack wait.
import type { NatsConnection } from "@nats-io/transport-node";
import type { AttemptNotes } from "../nats/attempt-notes.ts";
import { maySpare } from "../protocol/attempts.ts";
import type { ProcStats } from "./ipc.ts";
import { handBackDelays, type JobFate } from "./watchdog.ts";
import { releaseSlotsOf, slotHolder } from "../worker/limits.ts";
import type { Logger } from "../protocol/logger.ts";

type InFlight = ProcStats["inFlight"][number];

/** The supervisor's side of a stalled or ended proc's jobs. */
export interface JobKeeper {
  /** keep these jobs from being redelivered for another ack wait */
  hold(jobs: readonly InFlight[]): void;
  /** record how their attempts ended and make them deliverable again now */
  handBack(fates: readonly JobFate[], ended: { proc: string; pid: number; how: string; culprits: string }): Promise<void>;
  /** free the fleet-wide concurrency slots a proc that died still holds; the keys freed */
  releaseSlots?(pid: number): Promise<string[]>;
}

export function natsJobKeeper(nc: NatsConnection, notes: AttemptNotes | undefined, worker: string, log: Logger): JobKeeper {
  return {
    hold(jobs) {
      for (const j of jobs) if (j.reply && !nc.isClosed()) nc.publish(j.reply, "+WPI");
    },
    releaseSlots: (pid) => releaseSlotsOf(nc, slotHolder(pid)),
    async handBack(fates, ended) {
      const delays = handBackDelays(fates);
      for (const [k, f] of fates.entries()) {
        const { job } = f;
        const where = `${ended.proc} (pid ${ended.pid}) of worker ${worker}`;
        const message =
          f.cause === "watchdog"
            ? `the watchdog killed ${where}: ${ended.how}`
            : f.cause === "crash"
              ? `${where} crashed while running it (${ended.how})`
              : f.cause === "neighbour"
                ? `${where} ${ended.how.startsWith("its event loop") ? `was killed by the watchdog because of ${ended.culprits}` : `crashed (${ended.how}) while several jobs ran, this one among them`}`
                : `${where} was stopped by force (${ended.how})`;
        try {
          if (notes && job.delivery !== undefined) {
            const charged = f.charged || !maySpare(await notes.get(job.id));
            await notes.add(job.id, { delivery: job.delivery, cause: f.cause, charged, message, worker, proc: ended.proc, at: Date.now() });
          }
        } catch (err) {
          log.warn(`could not note how job ${job.id}'s attempt ended (it counts as an attempt): ${(err as Error).message}`);
        }
        // Redeliver without waiting for the ack wait: the proc that held it is gone, so this can never
        // start a second attempt at once. Spread out (handBackDelays) so jobs that died together do not
        // all land in the next proc together.
        const delay = delays[k] ?? 0;
        if (job.reply && !nc.isClosed()) nc.publish(job.reply, delay > 0 ? `-NAK ${JSON.stringify({ delay: delay * 1_000_000 })}` : "-NAK");
      }
      // a closed connection: the NAKs are lost, and the jobs come back after their ack wait anyway
      await nc.flush().catch(() => {});
    },
  };
}
