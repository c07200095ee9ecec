// Spawns one worker proc with an IPC channel, forwards its output and keeps the tail of its stderr for crash reports.
import type { Subprocess } from "bun";
import { isChildMessage, type ChildMessage, type ParentMessage } from "./ipc.ts";

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
  const child: Subprocess = Bun.spawn({
    cmd: opts.argv,
    env: { ...procJscDefaults, ...process.env, ...opts.env } as Record<string, string>,
    stdin: "ignore",
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
        // already gone
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
