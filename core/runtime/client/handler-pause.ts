// Pausing a handler fleet-wide is the server's consumer pause (nats-server 2.11+, `$JS.API.CONSUMER.PAUSE`):
// the handler's three consumers (high, normal, low) deliver nothing, not even to pull requests already
// waiting at the server, until resumed. It holds with no docctl process running and across restarts
// (the pause is part of the consumer's config). Jobs already delivered finish.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { InputError } from "../protocol/errors.ts";
import { PRIORITIES, STREAM_TASKS, priorityConsumer, tokenProblem } from "../protocol/subjects.ts";
import { isNotFound } from "../nats/errors.ts";

/** Paused "until resumed": the server wants a time; this is far enough. */
const UNTIL_RESUMED = new Date(Date.UTC(2999, 0, 1));

/** A handler's pause, as its consumers report it. */
export interface HandlerPause {
  handler: string;
  /** when the server resumes it by itself; undefined: until `docctl resume --handler` */
  until?: number;
}

/** Pause (`paused` true) or resume every consumer of `handler`; throws InputError for a handler with none. */
export async function setHandlerPaused(nc: NatsConnection, handler: string, paused: boolean, until?: Date): Promise<void> {
  const p = tokenProblem(handler);
  if (p) throw new InputError(`handler "${handler}" ${p}`);
  const jsm = await jetstreamManager(nc);
  let found = 0;
  for (const pr of PRIORITIES) {
    try {
      if (paused) await jsm.consumers.pause(STREAM_TASKS, priorityConsumer(handler, pr), until ?? UNTIL_RESUMED);
      else await jsm.consumers.resume(STREAM_TASKS, priorityConsumer(handler, pr));
      found++;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if (!found) throw new InputError(`no handler "${handler}": no worker or manager has registered it (see docctl handlers)`);
}

/** The paused handlers (any of their consumers paused), sorted. */
export async function pausedHandlers(nc: NatsConnection): Promise<HandlerPause[]> {
  const jsm = await jetstreamManager(nc);
  const out = new Map<string, HandlerPause>();
  try {
    for await (const ci of jsm.consumers.list(STREAM_TASKS)) {
      if (!ci.paused) continue;
      const handler = ci.config.filter_subject?.split(".")[2];
      if (!handler) continue;
      const until = ci.config.pause_until ? Date.parse(ci.config.pause_until) : undefined;
      out.set(handler, { handler, until: until !== undefined && until < UNTIL_RESUMED.getTime() ? until : undefined });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return [...out.values()].sort((a, b) => a.handler.localeCompare(b.handler));
}
