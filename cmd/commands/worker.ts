// `docctl worker`: pull jobs and run them.
import type { Command } from "../command.ts";
import { intOpt, durOpt, strOpt } from "../options.ts";
import { buildRegistry, connectBuiltins } from "../registry.ts";
import { addSecret, createLogger } from "../../core/runtime/log.ts";
import { defaultWorkerId, runWorkerProc } from "../../core/runtime/proc.ts";
import { workerLoopDefaults } from "../../core/runtime/worker-loop.ts";
import { topologyDefaults } from "../../core/runtime/topology.ts";
import { retryDefaults } from "../../core/runtime/retry.ts";
import { ConfigError } from "../../core/runtime/errors.ts";
import { tokenProblem } from "../../core/runtime/subjects.ts";
import { serveWorker } from "../../core/runtime/worker-http.ts";
import { dashboardRoutes } from "../../core/runtime/dashboard.ts";
import { VERSION } from "../version.ts";

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
  --allow-private-fetch let the title handler fetch loopback/private addresses (intranets, tests);
                        env DOCCTL_ALLOW_PRIVATE_FETCH=1
  --http ADDR           serve /metrics (Prometheus), /healthz and the dashboard on ADDR, e.g. 127.0.0.1:9090
                        (a bare port binds to loopback)
  --http-token TOKEN    bearer token for the dashboard's actions; without one they only work on loopback

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
    "allow-private-fetch": { type: "boolean" },
    http: { type: "string" },
    "http-token": { type: "string" },
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
    const loop = {
      topology: { ackWaitMs: durOpt(ctx, "ack-wait", topologyDefaults.ackWaitMs) },
      timeoutMs: durOpt(ctx, "timeout", workerLoopDefaults.timeoutMs),
      maxAttempts: intOpt(ctx, "max-attempts", workerLoopDefaults.maxAttempts),
      retry: { ...retryDefaults, baseMs: durOpt(ctx, "retry-base", retryDefaults.baseMs) },
    };
    const concurrency = intOpt(ctx, "concurrency", workerLoopDefaults.concurrency);
    const addr = strOpt(ctx, "http");
    const token = strOpt(ctx, "http-token");
    addSecret(token);
    const http = addr ? await serveWorker({ addr, token, workerId, version: VERSION, routes: dashboardRoutes }) : undefined;
    if (http) log.startup(`serving /metrics, /healthz and the dashboard on ${http.server.url}`);
    try {
      return await runWorkerProc({
        natsUrl: ctx.global.nats,
        natsAuth: ctx.global.auth,
        registry,
        concurrency,
        workerId,
        log,
        onConnected: connectBuiltins,
        loop: { ...loop, metrics: http?.metrics },
        onStarted: http ? (l, nc) => http.attach(l, nc, registry.names()) : undefined,
      });
    } finally {
      await http?.stop();
    }
  },
};
