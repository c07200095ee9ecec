// Drives the compiled binary the way the README does: `dist/docctl ...`.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../..");
export const BIN = join(ROOT, "dist", "docctl");

if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build it first with \`npm run build\` (npm test does)`);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `docctl args...` to completion. */
export async function docctl(args: string[], opts: { stdin?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const proc = Bun.spawn([BIN, ...args], {
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface Background {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** everything written to stderr so far */
  output(): string;
  /** wait until stderr matches `re` */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** Start `docctl args...` in the background (a worker, `up` ...), collecting its stderr. */
export function spawnDocctl(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Background {
  const proc = Bun.spawn([BIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  let buf = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) buf += dec.decode(chunk, { stream: true });
  };
  void pump(proc.stderr);
  void pump(proc.stdout);
  return {
    proc,
    output: () => buf,
    async waitFor(re, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(buf)) {
        if (proc.exitCode !== null) throw new Error(`docctl ${args[0]} exited (${proc.exitCode}) before printing ${re}:\n${buf}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} from docctl ${args[0]}:\n${buf}`);
        await Bun.sleep(20);
      }
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      const t = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      const code = await proc.exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** The one polling helper (test/helpers/eventually.ts), re-exported for the e2e tests that import it from here. */
export { eventually } from "./eventually.ts";
