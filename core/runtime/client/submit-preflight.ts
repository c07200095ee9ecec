// The checks before anything of a submit is published: the streams exist (and the task stream can hold
// server-side schedules and atomic batches), and the handlers are known to the fleet (a likely typo
// otherwise), delayed jobs included: they wait in the server, which never checks a handler.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { InputError } from "../protocol/errors.ts";
import { isTransientNatsError } from "../nats/errors.ts";
import { explainNoAnswer } from "../nats/durability.ts";
import { ensureStreams, topologyDefaults } from "../nats/topology.ts";
import { knownHandlerNames } from "../nats/handlers.ts";
import { natsSetupBackoff, retrying } from "../util/backoff.ts";
import type { SubmitPlan } from "./jobfile.ts";
import type { SubmitRunOptions } from "./submit-options.ts";

/**
 * Runs the checks; resolves to the handlers the fleet knows (undefined with `create`: any is taken).
 * They ride out a server that is away or electing leaders (a restart, a cluster node down or still
 * joining) for up to 30 s, as the publishes after them do.
 */
export async function preflight(nc: NatsConnection, plan: SubmitPlan, opts: Pick<SubmitRunOptions, "create" | "timeoutMs" | "topology">): Promise<Set<string> | undefined> {
  const jsm = await jetstreamManager(nc);
  return retrying(
    async () => {
      // Create-only: a submitter must not reconfigure streams a worker set up (replicas, retention).
      await ensureStreams(jsm, { ...topologyDefaults, ...opts.topology }, { createOnly: true });
      // A handler the fleet knows (recorded by a worker or a manager) is accepted even with no worker
      // running: the job waits and a manager scales up for it. One nobody knows is most likely a typo.
      const known = opts.create ? undefined : new Set(await knownHandlerNames(nc));
      for (const h of plan.handlers ?? []) checkHandler(h, known);
      return known;
    },
    { backoff: natsSetupBackoff, giveUpAt: Date.now() + Math.min(opts.timeoutMs ?? 30_000, 30_000), retryable: (err) => isTransientNatsError(err) && !nc.isClosed() },
  ).catch(async (err) => {
    // still unanswered after the retries: a stream without a leader is named (StreamUnavailableError)
    throw (await explainNoAnswer(nc, err)) ?? err;
  });
}

/** Throws an InputError for a handler the fleet does not know (`known` undefined: every handler is taken). */
export function checkHandler(h: string, known: Set<string> | undefined): void {
  if (!known || known.has(h)) return;
  throw new InputError(
    `unknown handler "${h}": no worker or manager has registered it (known: ${[...known].join(", ") || "none yet, start a worker"}). ` +
      `Check the name; or start a worker that has it (plugins: docctl worker --plugins DIR), tell the manager (docctl manager --handlers ${h}), ` +
      `or submit with --create to queue it anyway.`,
  );
}
