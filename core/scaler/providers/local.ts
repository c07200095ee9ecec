// Worker servers as `docctl worker` processes on this machine: the embedded default provider.
// Each worker it starts is recorded in KV bucket DOCCTL_LOCAL_WORKERS, so when its manager dies (kill -9)
// the next leader finds the workers still running, counts them against --max and drains them in time.
import type { Subprocess } from "bun";
import type { NatsConnection } from "@nats-io/transport-node";
import type { KV } from "@nats-io/kv";
import { hostname } from "node:os";
import { openBucket } from "../../runtime/nats/buckets.ts";
import { drainWorker, listWorkers } from "../../runtime/client/fleet.ts";
import { sleep } from "../../runtime/util/sleep.ts";
import { workerEnv } from "../../runtime/util/env.ts";
import { redactUrl, Secrets } from "../../runtime/util/log.ts";
import type { Provider, Server } from "./types.ts";
import { BUCKET_LOCAL_WORKERS } from "../../runtime/protocol/subjects.ts";
import type { Logger } from "../../runtime/protocol/logger.ts";

/** Local provider options. */
export interface LocalOptions {
  /** the worker command, e.g. `[process.execPath, "worker"]` for the compiled binary */
  command: string[];
  /** extra worker arguments, after the command and before `--name` */
  args: string[];
  /** NATS URL the workers use (passed as DOCCTL_NATS_URL) */
  natsUrl: string;
  /** extra environment for the workers */
  env: Record<string, string>;
  /** after SIGTERM, how long a worker may take to finish its in-flight jobs before SIGKILL, ms */
  drainTimeoutMs: number;
  /** worker id prefix; ids are `<prefix>-<n>` (subject-safe) */
  idPrefix: string;
  /** where worker output goes: inherit (the manager's terminal) or ignore */
  stdio: "inherit" | "ignore";
  /**
   * run each worker in a process group of its own, so a terminal's Ctrl-C (sent to the whole
   * foreground group) reaches only the manager, which drains them; they drain by themselves if the
   * manager dies (DOCCTL_EXIT_WITH_PID)
   */
  detached: boolean;
  /** what a worker's last stderr line is masked with before it is shown (its exit reason) @defaultValue URL credentials only */
  secrets?: Secrets;
}

export const localDefaults: Omit<LocalOptions, "command" | "natsUrl"> = {
  args: [],
  env: {},
  drainTimeoutMs: 5 * 60_000,
  idPrefix: `local-${hostname().replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40)}-${process.pid}`,
  stdio: "inherit",
  detached: false,
};

/** The KV bucket of the local workers managers started: key = worker id. */
export const LOCAL_WORKERS_BUCKET = BUCKET_LOCAL_WORKERS;

/** A local worker as recorded in DOCCTL_LOCAL_WORKERS (JSON). */
export interface LocalWorkerRecord {
  v: 1;
  id: string;
  host: string;
  pid: number;
  /** ms since the epoch */
  created_at: number;
  /** the pid of the manager that started it */
  manager_pid: number;
}

/** Whether process `pid` is alive on this machine. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface Child {
  server: Server;
  proc: Subprocess;
  stopping: boolean;
  /** the last lines the worker wrote to stderr: why it died, when it did */
  tail: string[];
}

/** Runs workers as child processes. Stopping the provider drains them all (SIGTERM) and waits. */
export class LocalProvider implements Provider {
  readonly name = "local";
  get natsUrl(): string {
    return this.opts.natsUrl;
  }
  private children = new Map<string, Child>();
  /** workers a previous manager started and recorded, found running: drained over the control subject */
  private adopted = new Map<string, { server: Server; rec: LocalWorkerRecord; stopping: boolean }>();
  private seq = 0;
  private exits = new Map<string, string>();
  private kv: KV | null = null;

  /** With `nc`, every worker started is recorded in KV and the workers of a dead manager are adopted. */
  constructor(private opts: LocalOptions, private log: Logger, private nc?: NatsConnection) {}

  private async bucket(): Promise<KV | null> {
    if (!this.nc) return null;
    return (this.kv ??= await openBucket(this.nc, LOCAL_WORKERS_BUCKET));
  }

  async list(): Promise<Server[]> {
    for (const [id, c] of this.children) {
      if (c.proc.exitCode === null && !c.proc.signalCode) continue;
      this.children.delete(id);
      if (!c.stopping) this.exits.set(id, `exited with ${c.proc.signalCode ?? `code ${c.proc.exitCode}`}${c.tail.length ? `: ${(this.opts.secrets ?? new Secrets()).mask(c.tail.at(-1)!)}` : ""}`);
    }
    await this.adopt();
    return [
      ...[...this.children.values()].filter((c) => !c.stopping).map((c) => c.server),
      ...[...this.adopted.values()].filter((a) => !a.stopping).map((a) => a.server),
    ];
  }

  /**
   * Workers recorded by another manager (one that died, or a leader before this one) and still alive
   * (registered, or their process running here) are this provider's now; records of dead ones are dropped.
   */
  private async adopt(): Promise<void> {
    const kv = await this.bucket();
    if (!kv) return;
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    const others = keys.filter((k) => !this.children.has(k));
    if (!others.length) {
      this.adopted.clear();
      return;
    }
    const present = new Set((await listWorkers(this.nc!)).filter((p) => p.state !== "stopped").map((p) => p.id));
    const seen = new Set<string>();
    for (const k of others) {
      const e = await kv.get(k);
      if (!e || e.operation !== "PUT") continue;
      let rec: LocalWorkerRecord;
      try {
        rec = e.json<LocalWorkerRecord>();
      } catch {
        // not JSON: a broken record is no worker to adopt; removed, and if that fails its TTL ends it
        await kv.delete(k).catch(() => {});
        continue;
      }
      const here = rec.host === hostname();
      const alive = here ? pidAlive(rec.pid) : present.has(rec.id);
      if (!alive) {
        // a dead worker's record: removed, and if that fails its TTL ends it
        await kv.delete(k).catch(() => {});
        continue;
      }
      seen.add(k);
      if (!this.adopted.has(k)) {
        this.log.warn(`local worker ${rec.id} (pid ${rec.pid} on ${rec.host}), started by manager pid ${rec.manager_pid}, is still running: adopted (it counts against --max and is drained like the others)`);
        this.adopted.set(k, { server: { id: rec.id, name: rec.id, workerId: rec.id, state: "active", createdAt: rec.created_at }, rec, stopping: false });
      }
    }
    for (const k of this.adopted.keys()) if (!seen.has(k) && !this.adopted.get(k)!.stopping) this.adopted.delete(k);
  }

  private async forget(id: string): Promise<void> {
    // no record bucket (permissions): there is no record to remove either
    const kv = await this.bucket().catch(() => null);
    // if the record stays, its TTL ends it, and a record of a dead process is never adopted
    await kv?.delete(id).catch(() => {});
  }

  async create(n: number): Promise<Server[]> {
    const out: Server[] = [];
    for (let i = 0; i < n; i++) {
      const id = `${this.opts.idPrefix}-${++this.seq}`;
      // the worker's own drain bound is the manager's: SIGTERM on scale-in or stop never cuts a job sooner
      const proc = Bun.spawn([...this.opts.command, "--drain-timeout", `${this.opts.drainTimeoutMs}ms`, ...this.opts.args, "--name", id], {
        // the manager's own secrets (a DigitalOcean token, its --http-token) stay with it
        env: workerEnv({ ...this.opts.env, DOCCTL_NATS_URL: this.opts.natsUrl, ...(this.opts.detached ? { DOCCTL_EXIT_WITH_PID: String(process.pid) } : {}) }),
        detached: this.opts.detached,
        stdin: "ignore",
        stdout: this.opts.stdio,
        stderr: "pipe",
      });
      const server: Server = { id, name: id, workerId: id, state: "active", createdAt: Date.now() };
      const child: Child = { server, proc, stopping: false, tail: [] };
      this.children.set(id, child);
      const kv = await this.bucket().catch((err) => {
        this.log.warn(`could not record local worker ${id} in ${LOCAL_WORKERS_BUCKET}: ${(err as Error).message}`);
        return null;
      });
      const rec: LocalWorkerRecord = { v: 1, id, host: hostname(), pid: proc.pid, created_at: server.createdAt, manager_pid: process.pid };
      await kv?.put(id, JSON.stringify(rec)).catch((err) => this.log.warn(`could not record local worker ${id}: ${(err as Error).message}`));
      void this.follow(child);
      proc.exited.then((code) => {
        const c = this.children.get(id);
        if (c && !c.stopping) this.log.warn(`local worker ${id} exited on its own (code ${code})`);
        void this.forget(id);
      });
      out.push(server);
    }
    return out;
  }

  /** why a worker that is gone ended (exit code and its last line on stderr) */
  describeExit(server: Server): string | undefined {
    return this.exits.get(server.id);
  }

  failureHints(): string[] {
    return [`the worker command runs here: ${this.opts.command.join(" ")} ${this.opts.args.join(" ")} (try it by hand with -v against ${redactUrl(this.opts.natsUrl)})`];
  }

  // Passes the worker's stderr on (when stdio is inherit) and keeps its last lines.
  private async follow(c: Child): Promise<void> {
    const dec = new TextDecoder();
    let partial = "";
    try {
      for await (const chunk of c.proc.stderr as ReadableStream<Uint8Array>) {
        if (this.opts.stdio === "inherit") process.stderr.write(chunk);
        const lines = (partial + dec.decode(chunk, { stream: true })).split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) if (l.trim()) c.tail.push(l.replace(/\x1b\[[0-9;]*m/g, "").trim());
        if (c.tail.length > 5) c.tail.splice(0, c.tail.length - 5);
      }
    } catch {
      /* the pipe closed with the process */
    }
    if (partial.trim()) c.tail.push(partial.trim());
  }

  /** SIGTERM (the worker drains: stops pulling, finishes in-flight jobs, exits) and waits, bounded. */
  async drainAndDelete(server: Server, signal?: AbortSignal): Promise<void> {
    const a = this.adopted.get(server.id);
    if (a) return this.drainAdopted(a, signal);
    const c = this.children.get(server.id);
    if (!c) return;
    c.stopping = true;
    c.proc.kill("SIGTERM");
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const t0 = Date.now();
    const progress = setInterval(() => this.log.info(`local worker ${server.id}: still finishing its jobs after ${Math.round((Date.now() - t0) / 1000)}s`), 10_000);
    const timedOut = await Promise.race([c.proc.exited.then(() => false), sleep(this.opts.drainTimeoutMs, ac.signal).then((aborted) => !aborted)]);
    clearInterval(progress);
    ac.abort();
    signal?.removeEventListener("abort", onAbort);
    if (timedOut) {
      this.log.warn(`local worker ${server.id} still running ${Math.round(this.opts.drainTimeoutMs / 1000)}s after SIGTERM; killing it (its jobs are redelivered)`);
      c.proc.kill("SIGKILL");
    }
    if (c.proc.exitCode !== null || c.proc.signalCode || timedOut) {
      await c.proc.exited;
      this.children.delete(server.id);
    }
  }

  // An adopted worker is not our child: it is asked to drain over the control subject, bounded the same way.
  private async drainAdopted(a: { server: Server; rec: LocalWorkerRecord; stopping: boolean }, signal?: AbortSignal): Promise<void> {
    a.stopping = true;
    const here = a.rec.host === hostname();
    const outcome = await drainWorker(this.nc!, a.rec.id, { timeoutMs: this.opts.drainTimeoutMs, pollMs: 500, requestTimeoutMs: 2000 }, signal);
    if (outcome === "aborted") {
      a.stopping = false;
      return;
    }
    if (here && outcome === "no-answer" && pidAlive(a.rec.pid)) process.kill(a.rec.pid, "SIGTERM");
    if (here && outcome === "timeout" && pidAlive(a.rec.pid)) {
      this.log.warn(`local worker ${a.rec.id} still running ${Math.round(this.opts.drainTimeoutMs / 1000)}s after the drain request; killing it (its jobs are redelivered)`);
      process.kill(a.rec.pid, "SIGKILL");
    }
    this.adopted.delete(a.rec.id);
    await this.forget(a.rec.id);
  }

  async destroy(server: Server): Promise<void> {
    const a = this.adopted.get(server.id);
    if (a) {
      if (a.rec.host === hostname() && pidAlive(a.rec.pid)) process.kill(a.rec.pid, "SIGKILL");
      this.adopted.delete(server.id);
      await this.forget(server.id);
      return;
    }
    const c = this.children.get(server.id);
    if (!c) return;
    c.stopping = true;
    c.proc.kill("SIGKILL");
    await c.proc.exited;
    this.children.delete(server.id);
  }

  /** A second stop request (Ctrl-C again): each worker still draining gets a second SIGTERM, which stops it at once. */
  hurry(): void {
    for (const c of this.children.values()) if (c.stopping && c.proc.exitCode === null && !c.proc.signalCode) c.proc.kill("SIGTERM");
  }

  /** Drains every worker (SIGTERM, bounded wait, then SIGKILL) so none outlives the manager. */
  async stop(): Promise<void> {
    await Promise.all([...this.children.values()].map((c) => this.drainAndDelete(c.server)));
    await Promise.all([...this.adopted.values()].filter((a) => !a.stopping).map((a) => this.drainAdopted(a)));
  }
}

/**
 * The command that starts a worker of this same program: the compiled binary is `[docctl, "worker"]`;
 * run from source (`bun cmd/docctl.ts manager`) it is `[bun, cmd/docctl.ts, "worker"]`.
 */
export function workerCommand(argv: string[] = process.argv, execPath: string = process.execPath): string[] {
  const script = argv[1];
  const compiled = !script || script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/") || script === execPath;
  return compiled ? [execPath, "worker"] : [execPath, script, "worker"];
}
