// A short hold of one task consumer (the server's consumer pause) while a queue operation rewrites
// the waiting part of its queue: with deliveries stopped, a message past the consumer's delivered
// sequence cannot be handed out until the release. The pause has a deadline, so a process that dies
// holding it leaves no lasting pause; a consumer already paused (a paused handler) is left as it was.
import type { JetStreamManager } from "@nats-io/jetstream";
import { STREAM_TASKS } from "../protocol/subjects.ts";
import { isNotFound } from "../nats/errors.ts";

/** How long a consumer stays paused at most when its holder dies (the server resumes it). */
export const HOLD_MS = 10_000;

/** A held consumer: `delivered` is its delivered stream sequence once deliveries stopped (0 when it does not exist). */
export interface ConsumerHold {
  delivered: number;
  exists: boolean;
  release(): Promise<void>;
}

/** Pause `consumer` of DOCCTL_TASKS until released (or HOLD_MS), then read where its deliveries stand. */
export async function holdConsumer(jsm: JetStreamManager, consumer: string): Promise<ConsumerHold> {
  const before = await jsm.consumers.info(STREAM_TASKS, consumer).catch((err) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!before) return { delivered: 0, exists: false, release: async () => {} };
  let release = async () => {};
  if (!before.paused) {
    // a distinct deadline, so a release tells its own pause from a later holder's
    const until = new Date(Date.now() + HOLD_MS + Math.floor(Math.random() * 1000));
    await jsm.consumers.pause(STREAM_TASKS, consumer, until);
    release = async () => {
      // unreadable now: the pause is left to end by itself at its deadline, as below
      const now = await jsm.consumers.info(STREAM_TASKS, consumer).catch(() => undefined);
      // a resume that fails leaves the pause to end by itself at its deadline (HOLD_MS): nothing is lost
      if (now?.config.pause_until && Math.abs(parseTime(now.config.pause_until) - until.getTime()) < 1) await jsm.consumers.resume(STREAM_TASKS, consumer).catch(() => {});
    };
  }
  const ci = await jsm.consumers.info(STREAM_TASKS, consumer);
  return { delivered: ci.delivered.stream_seq, exists: true, release };
}

// RFC 3339 with nanoseconds, as the server writes times: to ms.
const parseTime = (s: string) => Date.parse(s.replace(/(\.\d{3})\d+/, "$1"));
