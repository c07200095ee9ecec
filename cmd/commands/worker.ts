// `docctl worker`: a supervisor of N procs that pull jobs and run them (or, with --procs 0, one in-process worker).
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Command, CommandContext } from "../command.ts";
import { intOpt, durOpt, listOpt, natsOptionsFrom, strOpt } from "../options.ts";
import { count, duration, listenAddr, oneOf, pairs, token, tokenList } from "../checks.ts";
import { dropletWorkerName } from "../../core/scaler/providers/droplet-name.ts";
import { buildRegistry, connectBuiltins } from "../registry.ts";
import { VERSION } from "../version.ts";
import { natsOrSignal } from "../wait-nats.ts";
import { cliLogger } from "../logger.ts";
import { authEnv, connectNats, effectiveAuth } from "../../core/runtime/nats/connection.ts";
import { readProcSecrets } from "../../core/runtime/supervisor/proc-spawn.ts";
import { serveWorker } from "../../core/runtime/http/worker-http.ts";
import { dashboardRoutes } from "../../core/runtime/http/dashboard.ts";
import { startProcHistory } from "../../core/runtime/http/history.ts";
import { MetricsRegistry, WorkerMetrics } from "../../core/runtime/util/metrics.ts";
import type { WorkerLoop } from "../../core/runtime/worker/loop.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { defaultWorkerId, runWorkerProc } from "../../core/runtime/worker/proc.ts";
import { workerLoopDefaults, type WorkerLoopOptions } from "../../core/runtime/worker/loop.ts";
import { topologyDefaults } from "../../core/runtime/nats/topology.ts";
import { jobRetryBackoff } from "../../core/runtime/util/backoff.ts";
import { ConfigError } from "../../core/runtime/protocol/errors.ts";
import { tokenProblem } from "../../core/runtime/protocol/subjects.ts";
import { runWorkerChild } from "../../core/runtime/supervisor/child.ts";
import { parseByteSize, renderMemoryDefaults, setRenderMemoryBudget } from "../../core/render/memory-budget.ts";
import { runWorkerParent, workerParentDefaults } from "../../core/runtime/supervisor/parent.ts";
import { procPolicyDefaults } from "../../core/runtime/supervisor/proc-state.ts";
import { watchdogDefaults } from "../../core/runtime/supervisor/watchdog.ts";
import { parseDedicated, parseLabels } from "../../core/runtime/supervisor/dedicated.ts";
import type { SlotSpec } from "../../core/runtime/supervisor/supervisor.ts";

/** Options handed on, as given, from the parent to every proc. */
const PASSED_ON = ["concurrency", "ack-wait", "timeout", "max-attempts", "retry-base", "max-jobs", "max-lifetime", "drain-timeout", "render-memory", "keep-results", "keep-dead", "dedup-window"] as const;

export const command: Command = {
  name: "worker",
  summary: "run N worker procs that pull jobs from NATS, and keep them running",
  help: `Usage: docctl worker [options]

A supervisor: starts --procs worker processes (plus --dedicated ones), each pulling jobs of its
handlers from JetStream and running --concurrency of them at once, and keeps them running: a proc
that dies is restarted with backoff; one that keeps dying at start is marked FATAL and reported.
SIGTERM/SIGINT drain (stop pulling, finish in-flight jobs, exit; a second signal stops at once).
SIGHUP replaces the procs one by one. See docs/worker.md.

Options:
  --procs N             general procs serving every handler (default: CPU cores, here ${availableParallelism()});
                        0 = run one worker in this process, without a supervisor
  --dedicated h=N,...   procs that serve only one handler, beside the general ones (pdf=2,title=1)
  --concurrency N       jobs of each handler in flight at once, per proc (default ${workerLoopDefaults.concurrency})
  --handlers a,b        only these job types (default: all built-in and plugin handlers)
  --plugins DIR[,DIR]   load plugins from DIR: each <type>.ts/.js default-exports a handler
                        (repeatable, or comma-separated; one job type in two directories is an error)
  --watch               replace the procs (one by one) when a file under a --plugins DIR changes
  --name ID             worker id for presence and control (default: host-pid)
  --name-from digitalocean  take the name do-<droplet id> from the droplet metadata service, asked
                        again for up to 5m while it does not answer (what droplets of the manager run)
  --label K=V           label in the presence entry (repeatable)
  --max-jobs N          a proc that has finished N jobs is replaced (recycling)
  --max-lifetime DUR    a proc older than DUR is replaced, e.g. 1h
  --max-fast-restarts N fast deaths in a row before a proc is FATAL (default ${procPolicyDefaults.maxFastRestarts})
  --start-window DUR    a proc dying this soon after its start, or before it is ready, died fast (default ${procPolicyDefaults.startWindowMs / 1000}s)
  --drain-timeout DUR   on drain, SIGKILL procs still running after DUR (default ${workerParentDefaults.drainTimeoutMs / 1000}s)
  --watchdog-grace DUR  a proc whose event loop stops answering for its running job's time limit plus DUR
                        is killed and replaced (default ${watchdogDefaults.graceMs / 1000}s; idle procs: ${watchdogDefaults.idleLimitMs / 1000}s plus DUR)
  --pid-file FILE       refuse to start if a live process owns FILE; removed on exit
  --ack-wait DUR        redeliver a job whose worker went silent this long (default 30s)
  --timeout DUR         default time limit of one attempt (default 60s)
  --max-attempts N      default attempts before a dead letter (default 3)
  --retry-base DUR      delay before the first retry, doubling each time (default 1s)
  --setup-timeout DUR   the handlers' setup() may take this long at a proc's start (default 60s); past it the
                        proc is killed and restarted with backoff like a crash (FATAL if it keeps happening)
  --render-memory SIZE  memory each proc keeps for rendering between documents: decoded images and
                        templates with their fonts and assets, least recently used dropped first
                        (default ${renderMemoryDefaults.budgetBytes / 1024 / 1024}MB); see docs/render.md
  --keep-results DUR    how long results (and done/failed jobs in the job index) are kept (default 24h;
                        a job's keep_result / keep_failed overrides it for that job)
  --keep-dead DUR       how long dead letters are kept (default 7d)
  --dedup-window DUR    a job id submitted again within DUR is not run again (default 15m)
                        (these three set the streams' limits: give every worker the same)
  --allow-private-fetch let the title handler fetch loopback/private addresses (intranets, tests);
                        env DOCCTL_ALLOW_PRIVATE_FETCH=1
  --http ADDR           serve /metrics (Prometheus), /healthz and the dashboard on ADDR, e.g. 127.0.0.1:9090
                        (a bare port binds to loopback); see docs/metrics.md
  --http-token TOKEN    bearer token for the dashboard's actions; without one they only work on loopback
  --http-host NAME      a name the dashboard is reached by besides its address (a proxy's); other Host
                        headers are refused (DNS rebinding). Repeatable

NATS not reachable at start is waited for (a line per try, backoff up to 10s). A proc whose event
loop stops answering past its job's time limit plus --watchdog-grace is killed and replaced.
Exit codes: 0 stopped after a drain, 1 unexpected error or every proc FATAL (the cause is logged),
2 bad usage, a broken plugin, or another live worker has this --name, 130 stopped by a second signal
(not clean).

Examples:
  docctl worker --procs 4 --concurrency 8
  docctl worker --procs 2 --dedicated pdf=2 --plugins ./plugins --watch --max-lifetime 1h
  docctl worker --procs 0 --plugins ./plugins          # one process, for debugging`,
  options: {
    procs: { type: "string", check: count(0) },
    dedicated: { type: "string", check: pairs("handler=N pairs separated by commas, N a whole number (pdf=2,title=1)", count(1), ",") },
    concurrency: { type: "string", check: count(1) },
    handlers: { type: "string", check: tokenList },
    plugins: { type: "string", multiple: true },
    watch: { type: "boolean" },
    name: { type: "string", check: token },
    "name-from": { type: "string", check: oneOf("digitalocean") },
    label: { type: "string", multiple: true, check: pairs("KEY=VALUE") },
    "max-jobs": { type: "string", check: count(1) },
    "max-lifetime": { type: "string", check: duration },
    "max-fast-restarts": { type: "string", check: count(0) },
    "start-window": { type: "string", check: duration },
    "drain-timeout": { type: "string", check: duration },
    "render-memory": { type: "string" },
    "setup-timeout": { type: "string", check: duration },
    "watchdog-grace": { type: "string", check: duration },
    "pid-file": { type: "string" },
    "ack-wait": { type: "string", check: duration },
    timeout: { type: "string", check: duration },
    "max-attempts": { type: "string", check: count(1) },
    "retry-base": { type: "string", check: duration },
    "keep-results": { type: "string", check: duration },
    "keep-dead": { type: "string", check: duration },
    "dedup-window": { type: "string", check: duration },
    "allow-private-fetch": { type: "boolean" },
    http: { type: "string", check: listenAddr },
    "http-token": { type: "string" },
    "http-host": { type: "string", multiple: true },
    // internal: this process is one proc of a supervisor (spawned by `docctl worker`)
    child: { type: "boolean" },
  },
  async run(ctx) {
    const procName = process.env.DOCCTL_PROC_NAME;
    let workerId = strOpt(ctx, "name") ?? defaultWorkerId();
    // a droplet's worker is do-<droplet id>: asked of the metadata service here (procs get --name from the supervisor)
    if (strOpt(ctx, "name-from") !== undefined && !ctx.values.child) {
      if (strOpt(ctx, "name") !== undefined) throw new ConfigError("--name and --name-from both given: use one", "name-from");
      const early = cliLogger(ctx.global);
      workerId = await dropletWorkerName(early, { url: process.env.DOCCTL_METADATA_URL || undefined });
    }
    // every line carries the worker and proc (JSON: as fields, for log search); pretty shows the proc as its tag
    const fields = { worker: workerId, proc: ctx.values.child && procName ? procName : undefined };
    const log = cliLogger(ctx.global, ctx.values.child && procName ? procName : "", { fields });
    const p = tokenProblem(workerId);
    if (p) throw new ConfigError(`--name "${workerId}" ${p}`, "name");
    if (workerId === "all") throw new ConfigError(`--name "all" is reserved: docctl.control.all.<verb> addresses every worker`, "name");
    // Through the environment, so the supervisor's procs inherit it.
    if (ctx.values["allow-private-fetch"]) process.env.DOCCTL_ALLOW_PRIVATE_FETCH = "1";
    const maxJobs = ctx.values["max-jobs"] === undefined ? undefined : intOpt(ctx, "max-jobs", 0);
    const maxLifetimeMs = ctx.values["max-lifetime"] === undefined ? undefined : durOpt(ctx, "max-lifetime", 0);
    const procs = intOpt(ctx, "procs", availableParallelism(), 0);
    const dedicated = ctx.values.dedicated === undefined ? {} : parseDedicated(String(ctx.values.dedicated));

    const addr = strOpt(ctx, "http");
    const token = strOpt(ctx, "http-token");
    const hosts = listOpt(ctx, "http-host");
    ctx.global.secrets?.add(token);

    const renderBudget = renderMemoryOpt(ctx);
    if (ctx.values.child || (procs === 0 && !Object.keys(dedicated).length)) {
      if (renderBudget !== undefined) setRenderMemoryBudget(renderBudget);
      const registry = await buildRegistry(listOpt(ctx, "plugins"), ctx.values.child ? undefined : log);
      const only = strOpt(ctx, "handlers");
      if (only) registry.restrict(only.split(",").map((s) => s.trim()).filter(Boolean));
      // A proc's own /metrics and /healthz (its supervisor serves the dashboard and merges the metrics).
      const http = addr ? await serveWorker({ addr, token, hosts, workerId, version: VERSION, routes: ctx.values.child ? undefined : dashboardRoutes, proc: Boolean(ctx.values.child) }) : undefined;
      // The dashboard's history (stream DOCCTL_HISTORY) is written by every proc, with or without --http.
      const workMetrics = http?.metrics ?? new WorkerMetrics(new MetricsRegistry());
      let stopHistory: (() => void) | undefined;
      if (http && !ctx.values.child) log.startup(`serving /metrics, /healthz and the dashboard on ${http.server.url}`);
      // A supervised proc's credentials come through its stdin (a pipe), not its environment.
      const natsAuth = ctx.values.child ? { ...ctx.global.auth, ...(await readProcSecrets()) } : ctx.global.auth;
      // a proc gets its credentials on stdin, not from flags or environment: mask them from here on too
      ctx.global.secrets?.add(natsAuth?.password);
      ctx.global.secrets?.add(natsAuth?.token);
      const common = {
        natsUrl: ctx.global.nats,
        natsAuth,
        registry,
        concurrency: intOpt(ctx, "concurrency", workerLoopDefaults.concurrency),
        workerId,
        log,
        maxJobs,
        maxLifetimeMs,
        onConnected: connectBuiltins,
        loop: { ...loopOptions(ctx), metrics: workMetrics },
        onStarted: (l: WorkerLoop, nc: NatsConnection) => {
          http?.attach(l, nc, registry.names());
          stopHistory?.();
          stopHistory = startProcHistory({ nc, handlers: registry.names(), workerId, metrics: workMetrics, onError: (err) => log.debug(`history sample not written: ${(err as Error).message}`) });
        },
      };
      try {
        // one process, no supervisor: wait for NATS here (a supervised proc waits in runWorkerChild)
        if (!ctx.values.child && !(await natsOrSignal(natsOptionsFrom(ctx.global, `docctl worker ${workerId}`), log))) return 0;
        return ctx.values.child
          ? await runWorkerChild({ ...common, orphanGraceMs: durOpt(ctx, "drain-timeout", workerParentDefaults.drainTimeoutMs) })
          : await runWorkerProc(common);
      } finally {
        stopHistory?.();
        await http?.stop();
      }
    }

    // The parent: check what the procs would reject, so a typo fails here and not as N FATAL procs.
    intOpt(ctx, "concurrency", workerLoopDefaults.concurrency);
    loopOptions(ctx);
    const plugins = listOpt(ctx, "plugins");
    // Importing the plugins here (not running them) lists every broken one once, with file:line:column,
    // instead of each proc dying on the first and being restarted until FATAL.
    const known = (await buildRegistry(plugins, log)).names();
    const only = strOpt(ctx, "handlers")?.split(",").map((s) => s.trim()).filter(Boolean);
    for (const h of [...(only ?? []), ...Object.keys(dedicated)]) {
      if (known.includes(h)) continue;
      const flag = only?.includes(h) ? "handlers" : "dedicated";
      throw new ConfigError(`--${flag}: unknown handler "${h}" (known: ${known.join(", ")}${plugins.length ? "" : "; plugins need --plugins DIR"})`, flag);
    }
    if (ctx.values.watch && !plugins.length) throw new ConfigError("--watch needs --plugins DIR: it watches that directory", "watch");
    // Credentials reach the procs through a pipe (their stdin), never their argv (which ps shows) or
    // their environment (plugins and their child processes read it): the spawner takes them out of
    // the environment it passes on (proc-spawn.ts). Set here at run time, they are not in this
    // process's /proc/PID/environ either.
    const { servers, auth } = effectiveAuth(ctx.global.nats, ctx.global.auth);
    Object.assign(process.env, authEnv(auth));
    // With --http each proc serves its metrics on a loopback port of its own, which this parent merges.
    const procPorts = new Map<string, number>();
    const procPort = (slot: string) => {
      if (!procPorts.has(slot)) procPorts.set(slot, loopbackPort());
      return procPorts.get(slot)!;
    };
    const passed: string[] = [];
    for (const k of PASSED_ON) if (ctx.values[k] !== undefined) passed.push(`--${k}`, String(ctx.values[k]));
    if (ctx.global.replicas !== undefined) passed.push("--replicas", String(ctx.global.replicas));
    const childArgs = (slot: SlotSpec): string[] => [
      "worker", "--child",
      "--nats", servers.join(","),
      // Results name the worker (wire field `worker`), not the proc: every proc carries the parent's id.
      "--name", workerId,
      ...plugins.flatMap((d) => ["--plugins", resolve(d)]),
      ...(slot.handler ? ["--handlers", slot.handler] : only ? ["--handlers", only.join(",")] : []),
      ...passed,
      ...Array.from({ length: ctx.global.verbosity }, () => "-v"),
      "--log-format", ctx.global.logFormat,
      ...(addr ? ["--http", `127.0.0.1:${procPort(slot.name)}`] : []),
    ];
    // A daemon: NATS not reachable yet (a restart, a boot race under systemd) is waited for, with a
    // line per try; a stop signal meanwhile ends the wait (exit 0: nothing ran).
    if (!(await natsOrSignal(natsOptionsFrom(ctx.global, `docctl worker ${workerId}`), log))) return 0;
    const http = addr
      ? await serveWorker({
          addr,
          token,
          hosts,
          workerId,
          version: VERSION,
          routes: dashboardRoutes,
          children: () => [...procPorts].map(([name, port]) => ({ name, url: `http://127.0.0.1:${port}` })),
        })
      : undefined;
    // The dashboard and the queue gauges read NATS through a connection of their own.
    const httpNc = http ? await connectNats(natsOptionsFrom(ctx.global, `docctl worker ${workerId} (http)`, { reconnectForever: true })) : undefined;
    if (http) {
      http.attach(undefined, httpNc!, only ?? known);
      log.startup(`serving /metrics, /healthz and the dashboard on ${http.server.url}`);
    }
    try {
      return await runWorkerParent({
        natsUrl: servers.join(","),
        id: workerId,
        procs,
        dedicated,
        childArgs,
        policy: {
          ...procPolicyDefaults,
          maxFastRestarts: intOpt(ctx, "max-fast-restarts", procPolicyDefaults.maxFastRestarts, 0),
          startWindowMs: durOpt(ctx, "start-window", procPolicyDefaults.startWindowMs),
        },
        drainTimeoutMs: durOpt(ctx, "drain-timeout", workerParentDefaults.drainTimeoutMs),
        watchdog: {
          ...watchdogDefaults,
          graceMs: durOpt(ctx, "watchdog-grace", watchdogDefaults.graceMs),
          setupTimeoutMs: durOpt(ctx, "setup-timeout", workerLoopDefaults.setupTimeoutMs),
        },
        pidFile: strOpt(ctx, "pid-file"),
        // set by a manager that started this worker in a process group of its own (docctl up)
        exitWithPid: Number(process.env.DOCCTL_EXIT_WITH_PID) || undefined,
        watch: ctx.values.watch ? plugins.map((d) => resolve(d)) : undefined,
        version: VERSION,
        labels: parseLabels((ctx.values.label as string[] | undefined) ?? []),
        // general procs serve every handler (or --handlers), dedicated ones theirs
        handlers: [...new Set([...(procs > 0 ? (only ?? known) : []), ...Object.keys(dedicated)])].sort(),
        log,
        natsAuth: auth,
      });
    } finally {
      await http?.stop();
      await httpNc?.close();
    }
  },
};

function loopOptions(ctx: CommandContext): Partial<WorkerLoopOptions> {
  return {
    topology: {
      ackWaitMs: durOpt(ctx, "ack-wait", topologyDefaults.ackWaitMs),
      resultsMaxAgeMs: durOpt(ctx, "keep-results", topologyDefaults.resultsMaxAgeMs),
      deadMaxAgeMs: durOpt(ctx, "keep-dead", topologyDefaults.deadMaxAgeMs),
      duplicateWindowMs: durOpt(ctx, "dedup-window", topologyDefaults.duplicateWindowMs),
      // only when given: an unset --replicas leaves existing streams' replica count alone (new ones get
      // min(3, cluster servers))
      ...(ctx.global.replicas !== undefined ? { replicas: ctx.global.replicas } : {}),
    },
    timeoutMs: durOpt(ctx, "timeout", workerLoopDefaults.timeoutMs),
    setupTimeoutMs: durOpt(ctx, "setup-timeout", workerLoopDefaults.setupTimeoutMs),
    maxAttempts: intOpt(ctx, "max-attempts", workerLoopDefaults.maxAttempts),
    retry: { ...jobRetryBackoff, initialMs: durOpt(ctx, "retry-base", jobRetryBackoff.initialMs) },
  };
}

/** --render-memory in bytes ("256MB", "1g", a number of bytes), or undefined when not given. */
function renderMemoryOpt(ctx: CommandContext): number | undefined {
  const v = ctx.values["render-memory"];
  if (v === undefined) return undefined;
  try {
    return parseByteSize(String(v), "--render-memory");
  } catch (err) {
    throw new ConfigError((err as Error).message, "render-memory");
  }
}

/** A free loopback port, now (the supervisor asks for a proc's arguments synchronously). */
function loopbackPort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}
