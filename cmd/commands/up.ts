// `docctl up`: the embedded default. Uses the NATS it finds or starts one, and scales local workers with the manager.
import type { Command } from "../command.ts";
import { intOpt, durOpt, listOpt, natsOptionsFrom, strOpt } from "../options.ts";
import { count, duration } from "../checks.ts";
import { buildRegistry } from "../registry.ts";
import { scalerLogger } from "./manager.ts";
import { redactUrl } from "../../core/runtime/util/log.ts";
import { cliLogger } from "../logger.ts";
import { authEnv, connectNats } from "../../core/runtime/nats/connection.ts";
import { firstSignal } from "../../core/runtime/worker/proc.ts";
import { ConfigError, ServerVersionError } from "../../core/runtime/protocol/errors.ts";
import { natsOrSignal } from "../wait-nats.ts";
import { isLocalNatsUrl, startEmbeddedNats, type EmbeddedNats } from "../../core/runtime/nats/embedded.ts";
import { declareHandlers } from "../../core/runtime/nats/handlers.ts";
import { workerLoopDefaults } from "../../core/runtime/worker/loop.ts";
import { createManager } from "../../core/scaler/create.ts";

export const upDefaults = { min: 0, max: 4, jobsPerWorker: 20, intervalMs: 1000, idleMs: 2 * 60_000, cooldownMs: 30_000 };

export const command: Command = {
  name: "up",
  summary: "run everything on this machine: NATS (started if none is reachable) and workers scaled from zero",
  help: `Usage: docctl up [options]

The embedded default, a laptop-sized fleet. With no NATS reachable at --nats it starts a
\`nats-server -js\` child (store under ./.docctl/, flushed to disk before acks where the server
version allows). Then the manager, with the local provider, starts \`docctl worker\` processes on
this machine when jobs wait and stops them after --idle without work, like it does with droplets;
once it has seen three idle gaps between jobs, sooner when those gaps are longer than a worker's
boot (starting one again is then cheaper than keeping it; docs/scaler.md).

Options:
  --min N              workers kept running even when idle (default ${upDefaults.min})
  --max N              at most this many worker processes (default ${upDefaults.max})
  --jobs-per-worker N  waiting jobs per worker before another one starts (default ${upDefaults.jobsPerWorker})
  --idle DUR           no work at all this long: stop the workers, whatever the gaps were (default 2m)
  --procs N            procs per worker process (default 1: the manager adds workers as lag grows)
  --concurrency N      jobs of each handler in flight per proc (default ${workerLoopDefaults.concurrency})
  --plugins DIR[,DIR]  load plugins from DIR in every worker (repeatable, or comma-separated)
  --allow-private-fetch  let the title handler fetch loopback/private addresses
  --dir DIR            where the embedded server keeps its store (default ./.docctl)

Ctrl-C drains the workers (jobs in flight finish and store their results), then stops the manager
and the server; Ctrl-C again stops at once. With --nats naming a server elsewhere, up waits for it.
Exit codes: 0 stopped cleanly (Ctrl-C), 1 unexpected error, 2 bad usage, a broken plugin, or NATS
refused the credentials, 130 stopped by a second Ctrl-C.`,
  options: {
    min: { type: "string", check: count(0) },
    max: { type: "string", check: count(1) },
    "jobs-per-worker": { type: "string", check: count(1) },
    idle: { type: "string", check: duration },
    procs: { type: "string", check: count(1) },
    concurrency: { type: "string", check: count(1) },
    plugins: { type: "string", multiple: true },
    "allow-private-fetch": { type: "boolean" },
    dir: { type: "string" },
  },
  async run(ctx) {
    const log = cliLogger(ctx.global, "", { verbosity: Math.max(1, ctx.global.verbosity) });
    const plugins = listOpt(ctx, "plugins");
    // Load the plugins here first: a broken one is reported now, not by every worker the manager starts.
    const registry = await buildRegistry(plugins);
    const policy = {
      min: intOpt(ctx, "min", upDefaults.min, 0),
      max: intOpt(ctx, "max", upDefaults.max),
      jobsPerWorker: intOpt(ctx, "jobs-per-worker", upDefaults.jobsPerWorker),
      idleMs: durOpt(ctx, "idle", upDefaults.idleMs),
      cooldownMs: upDefaults.cooldownMs,
    };
    const workerArgs = ["--procs", String(intOpt(ctx, "procs", 1)), "--concurrency", String(intOpt(ctx, "concurrency", workerLoopDefaults.concurrency))];
    for (const dir of plugins) workerArgs.push("--plugins", dir);
    if (ctx.values["allow-private-fetch"]) workerArgs.push("--allow-private-fetch");
    for (let i = 0; i < ctx.global.verbosity; i++) workerArgs.push("-v");

    let embedded: EmbeddedNats | undefined;
    let url = ctx.global.nats;
    try {
      const probe = await connectNats(natsOptionsFrom(ctx.global, "docctl up probe", { extra: { maxReconnectAttempts: 0, timeout: 1000 } }));
      await probe.close();
      log.startup(`using the NATS at ${redactUrl(url)}`);
    } catch (err) {
      // A server that refused our credentials is there: starting another one would hide the problem.
      if (err instanceof ConfigError || err instanceof ServerVersionError) throw err;
      if (!isLocalNatsUrl(url)) {
        // --nats names a server elsewhere: up cannot start it, so it waits for it like any daemon.
        if (!(await natsOrSignal(natsOptionsFrom(ctx.global, "docctl up probe"), log))) return 0;
        log.startup(`using the NATS at ${redactUrl(url)}`);
      } else embedded = await startEmbeddedNats(url, strOpt(ctx, "dir"));
    }
    if (embedded) {
      url = embedded.url;
      log.startup(`started nats-server ${embedded.version.replace(/^nats-server:\s*/, "")} at ${url} (store: ${strOpt(ctx, "dir") ?? ".docctl"}/nats)`);
    }
    // A server we started ourselves has no authorization; one we found gets our credentials.
    const auth = embedded ? undefined : ctx.global.auth;
    const nc = await connectNats({ url, auth, name: "docctl up", reconnectForever: true });
    let forced = false;
    try {
      // Known before any worker runs (consumers and DOCCTL_HANDLERS entries): their jobs wake the fleet.
      await declareHandlers(nc, registry.names().map((n) => registry.info(n, "up", "manager")));
      // Workers (and the server) run in process groups of their own: Ctrl-C in a terminal signals the
      // whole foreground group, and a worker that got it directly took up's own SIGTERM that followed
      // as a second signal (stop at once: in-flight jobs cut off). Now only up hears it and drains them.
      const { manager, provider } = createManager(
        {
          provider: "local",
          natsUrl: url,
          manager: { intervalMs: upDefaults.intervalMs, policy },
          local: { args: workerArgs, stdio: "inherit", env: authEnv(auth), detached: true, secrets: ctx.global.secrets },
        },
        nc,
        scalerLogger(ctx.global),
      );
      await manager.start();
      log.startup(
        `ready: handlers ${registry.names().join(", ")}; workers start when jobs wait (${policy.min}..${policy.max}). ` +
          `Submit with \`docctl submit FILE${embedded ? "" : ` --nats ${redactUrl(url)}`}\`; Ctrl-C to stop.`,
      );
      await firstSignal();
      log.startup("stopping: draining the workers (their jobs in flight finish and store their results); Ctrl-C again to stop at once");
      const again = (sig: string) => () => {
        forced = true;
        log.warn(`${sig} again: stopping now; jobs in flight are redelivered when docctl runs again`);
        provider.hurry?.();
      };
      const onInt = again("SIGINT");
      const onTerm = again("SIGTERM");
      process.once("SIGINT", onInt);
      process.once("SIGTERM", onTerm);
      try {
        await manager.stop();
      } finally {
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
      }
      return forced ? 130 : 0;
    } finally {
      await nc.drain().catch(() => {});
      if (embedded) {
        await embedded.stop();
        log.startup("nats-server stopped");
      }
    }
  },
};
