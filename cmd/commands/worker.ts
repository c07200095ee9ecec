// `docctl worker`: pull jobs and run them.
import type { Command } from "../command.ts";
import { intOpt, durOpt, strOpt } from "../options.ts";
import { buildRegistry, connectBuiltins } from "../registry.ts";
import { createLogger } from "../../core/runtime/log.ts";
import { defaultWorkerId, runWorkerProc } from "../../core/runtime/proc.ts";
import { workerLoopDefaults } from "../../core/runtime/worker-loop.ts";
import { topologyDefaults } from "../../core/runtime/topology.ts";
import { retryDefaults } from "../../core/runtime/retry.ts";
import { ConfigError } from "../../core/runtime/errors.ts";
import { tokenProblem } from "../../core/runtime/subjects.ts";

export const command: Command = {
  name: "worker",
  summary: "pull jobs from NATS and run them",
  help: `Usage: docctl worker [options]

Pulls jobs of its handlers from JetStream and runs them, N at a time. SIGTERM/SIGINT drain: stop
pulling, finish the jobs in flight, exit; a second signal stops at once.

Options:
  --concurrency N       jobs of each handler in flight at once (default ${workerLoopDefaults.concurrency})
  --handlers a,b        only these job types (default: all built-in and plugin handlers)
  --plugins DIR         load plugins from DIR: each <type>.ts/.js default-exports a handler
  --name ID             worker id (default: host-pid)
  --ack-wait DUR        redeliver a job whose worker went silent this long (default 30s)
  --timeout DUR         default time limit of one attempt (default 60s)
  --max-attempts N      default attempts before a dead letter (default 3)
  --retry-base DUR      delay before the first retry, doubling each time (default 1s)
  --replicas N          stream replicas: 3 on a three-node NATS cluster (default: 1 for new
                        streams; existing streams keep theirs unless this is given)
  --allow-private-fetch let the title handler fetch loopback/private addresses (intranets, tests);
                        env DOCCTL_ALLOW_PRIVATE_FETCH=1

Examples:
  docctl worker --concurrency 8
  docctl worker --plugins ./plugins --handlers resize,thumbnail`,
  options: {
    concurrency: { type: "string" },
    handlers: { type: "string" },
    plugins: { type: "string" },
    name: { type: "string" },
    "ack-wait": { type: "string" },
    timeout: { type: "string" },
    "max-attempts": { type: "string" },
    "retry-base": { type: "string" },
    replicas: { type: "string" },
    "allow-private-fetch": { type: "boolean" },
  },
  async run(ctx) {
    const log = createLogger({ verbosity: ctx.global.verbosity, format: ctx.global.logFormat });
    const workerId = strOpt(ctx, "name") ?? defaultWorkerId();
    const p = tokenProblem(workerId);
    if (p) throw new ConfigError(`--name "${workerId}" ${p}`, "name");
    if (ctx.values["allow-private-fetch"]) process.env.DOCCTL_ALLOW_PRIVATE_FETCH = "1";
    const registry = await buildRegistry(strOpt(ctx, "plugins"));
    const only = strOpt(ctx, "handlers");
    if (only) registry.restrict(only.split(",").map((s) => s.trim()).filter(Boolean));
    return await runWorkerProc({
      natsUrl: ctx.global.nats,
      registry,
      concurrency: intOpt(ctx, "concurrency", workerLoopDefaults.concurrency),
      workerId,
      log,
      onConnected: connectBuiltins,
      loop: {
        topology: {
          ackWaitMs: durOpt(ctx, "ack-wait", topologyDefaults.ackWaitMs),
          // only when given: an unset --replicas leaves existing streams' replica count alone
          ...(ctx.values.replicas !== undefined ? { replicas: intOpt(ctx, "replicas", topologyDefaults.replicas) } : {}),
        },
        timeoutMs: durOpt(ctx, "timeout", workerLoopDefaults.timeoutMs),
        maxAttempts: intOpt(ctx, "max-attempts", workerLoopDefaults.maxAttempts),
        retry: { ...retryDefaults, baseMs: durOpt(ctx, "retry-base", retryDefaults.baseMs) },
      },
    });
  },
};
