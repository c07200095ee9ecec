// Spawns one worker proc with an IPC channel, forwards its output and keeps the tail of its stderr for crash reports.
import type { Subprocess } from "bun";
import { isChildMessage, type ChildMessage, type ParentMessage } from "./ipc.ts";
import { AUTH_ENV_NAMES, type NatsAuth } from "../nats/connection.ts";

/** Set in a proc's environment when its NATS credentials wait on its stdin (one JSON object, then EOF). */
export const PROC_SECRETS_ENV = "DOCCTL_PROC_SECRETS";

/**
 * A proc's environment without credentials, and the credentials apart: they reach the proc through a
 * pipe (its stdin), never its environment, which any plugin can read (and which /proc/PID/environ
 * shows) and every process a handler starts inherits. Also left out: the HTTP token (procs serve no
 * actions) and NATS URLs that carry a user or token (procs get the servers in --nats). Pure.
 */
export function splitProcEnv(env: Record<string, string | undefined>): { env: Record<string, string>; secrets: NatsAuth } {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  const secrets: NatsAuth = {};
  for (const [key, name] of AUTH_ENV_NAMES) {
    if (out[name] !== undefined) secrets[key] = out[name];
    delete out[name];
  }
  delete out.DOCCTL_HTTP_TOKEN;
  for (const name of ["DOCCTL_NATS_URL", "NATS_URL"]) if (out[name]?.includes("@")) delete out[name];
  return { env: out, secrets };
}

/** In a proc: the credentials its supervisor wrote to its stdin (empty when it was started otherwise). */
export async function readProcSecrets(timeoutMs = 10_000): Promise<NatsAuth> {
  if (process.env[PROC_SECRETS_ENV] !== "stdin") return {};
  delete process.env[PROC_SECRETS_ENV];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const text = await Promise.race([
    new Response(Bun.stdin.stream()).text(),
    new Promise<string>((_, reject) => (timer = setTimeout(() => reject(new Error(`no credentials on stdin within ${timeoutMs}ms`)), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  const parsed = JSON.parse(text || "{}") as Record<string, unknown>;
  const out: NatsAuth = {};
  for (const [key] of AUTH_ENV_NAMES) if (typeof parsed[key] === "string") out[key] = parsed[key] as string;
  return out;
}

export interface SpawnedProc {
  pid: number;
  send(m: ParentMessage): void;
  kill(signal: NodeJS.Signals): void;
  /** resolves once the proc has exited and its stderr has been read to the end */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** the last lines it wrote to stderr */
  stderrTail(): string[];
}

export interface SpawnOptions {
  argv: string[];
  env?: Record<string, string | undefined>;
  onMessage(m: ChildMessage): void;
  /** stderr lines kept for the crash report */
  tailLines?: number;
  /** where the proc's stdout/stderr are copied (the parent's own by default; tests silence it) */
  forward?: boolean;
}

/** The command that runs this same program: the compiled binary itself, or bun + the entry script. */
export function selfCommand(): string[] {
  const main = Bun.main;
  const compiled = main.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/.test(main);
  return compiled ? [process.execPath] : [process.execPath, main];
}

/**
 * JavaScriptCore settings a worker proc starts with unless the environment sets them: no FTL (the
 * optimising tier that compiles hot code a fourth time). Measured on 2 cores (docs/benchmarks.md): its
 * compiler thread took about a third of a proc's CPU in the first tens of thousands of jobs, and even
 * 2 000 rendered invoices in, a proc without it had used 20-30 % less CPU and was as fast per document.
 * Set BUN_JSC_useFTLJIT=1 in the worker's environment to have it back.
 */
export const procJscDefaults: Record<string, string> = { BUN_JSC_useFTLJIT: "0" };

export function spawnProc(opts: SpawnOptions): SpawnedProc {
  const tail: string[] = [];
  const keep = opts.tailLines ?? 20;
  const forward = opts.forward ?? true;
  const { env, secrets } = splitProcEnv({ ...procJscDefaults, ...process.env, ...opts.env });
  const child: Subprocess = Bun.spawn({
    cmd: opts.argv,
    env: { ...env, [PROC_SECRETS_ENV]: "stdin" },
    // written and closed at once: the proc reads it to its end before connecting
    stdin: new TextEncoder().encode(JSON.stringify(secrets)),
    stdout: forward ? "inherit" : "ignore",
    stderr: "pipe",
    serialization: "json",
    ipc(message) {
      if (isChildMessage(message)) opts.onMessage(message);
    },
  });
  const stderrDone = pump(child.stderr as ReadableStream<Uint8Array>, (line) => {
    tail.push(line);
    if (tail.length > keep) tail.shift();
  }, forward);
  const exited = child.exited.then(async (code) => {
    // Read stderr to its end (bounded: a grandchild may hold the pipe open) so the crash report has the last lines.
    await Promise.race([stderrDone, Bun.sleep(500)]);
    const sig = child.signalCode;
    return { code: sig ? null : code, signal: sig == null ? null : String(sig) };
  });
  return {
    pid: child.pid,
    send(m) {
      try {
        child.send(m);
      } catch {
        // It is exiting: its exit is handled by `exited`.
      }
    },
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // ESRCH: the process has already exited (its exit is handled by `exited`), nothing to signal
      }
    },
    exited,
    stderrTail: () => [...tail],
  };
}

async function pump(stream: ReadableStream<Uint8Array>, onLine: (l: string) => void, forward: boolean): Promise<void> {
  const dec = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of stream) {
      if (forward) process.stderr.write(chunk);
      buf += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    }
  } catch {
    // stream torn down with the process
  }
  if (buf) onLine(buf);
}
