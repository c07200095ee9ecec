// `docctl up`: the embedded default. Uses the NATS it finds, or starts one, and runs a worker until Ctrl-C.
import type { Command } from "../command.ts";
import { intOpt, strOpt } from "../options.ts";
import { buildRegistry } from "../registry.ts";
import { createLogger, redactUrl } from "../../core/runtime/log.ts";
import { connectNats } from "../../core/runtime/connection.ts";
import { startEmbeddedNats, type EmbeddedNats } from "../../core/runtime/embedded-nats.ts";
import { defaultWorkerId, runWorkerProc } from "../../core/runtime/proc.ts";
import { workerLoopDefaults } from "../../core/runtime/worker-loop.ts";

export const command: Command = {
  name: "up",
  summary: "run everything on this machine: NATS (started if none is reachable) and a worker",
  help: `Usage: docctl up [options]

With no NATS reachable at --nats, starts a \`nats-server -js\` child (store under ./.docctl/), then
runs a worker. Ctrl-C drains the worker and stops the server.

Options:
  --concurrency N   jobs in flight (default ${workerLoopDefaults.concurrency})
  --plugins DIR     load plugins from DIR
  --dir DIR         where the embedded server keeps its store (default ./.docctl)`,
  options: { concurrency: { type: "string" }, plugins: { type: "string" }, dir: { type: "string" } },
  async run(ctx) {
    const log = createLogger({ verbosity: Math.max(1, ctx.global.verbosity), format: ctx.global.logFormat });
    let embedded: EmbeddedNats | undefined;
    let url = ctx.global.nats;
    try {
      const probe = await connectNats({ url, name: "docctl up probe", extra: { maxReconnectAttempts: 0, timeout: 1000 } });
      await probe.close();
      log.startup(`using the NATS at ${redactUrl(url)}`);
    } catch {
      embedded = await startEmbeddedNats(url, strOpt(ctx, "dir"));
      url = embedded.url;
      log.startup(`started nats-server ${embedded.version} at ${url} (store: ${strOpt(ctx, "dir") ?? ".docctl"}/nats)`);
    }
    try {
      const registry = await buildRegistry(strOpt(ctx, "plugins"));
      log.startup(`ready: submit jobs with \`docctl submit FILE${embedded ? "" : ` --nats ${redactUrl(url)}`}\`; Ctrl-C to stop`);
      return await runWorkerProc({
        natsUrl: url,
        registry,
        concurrency: intOpt(ctx, "concurrency", workerLoopDefaults.concurrency),
        workerId: defaultWorkerId(),
        log,
      });
    } finally {
      if (embedded) {
        await embedded.stop();
        log.startup("nats-server stopped");
      }
    }
  },
};
