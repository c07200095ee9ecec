// A pid file that refuses a second live owner and takes over from a dead one.
import { openSync, readFileSync, rmSync, writeFileSync, closeSync, writeSync, mkdirSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError } from "../protocol/errors.ts";

export interface PidFile {
  path: string;
  /** set when the file named a live process that is not a docctl worker (a pid re-used after a reboot): what it was */
  tookOverFrom?: string;
  /** remove the file if it is still ours */
  release(): void;
}

/** Whether a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Write our pid to `path`. Throws ConfigError when a live process owns it; overwrites it when the
 * owner is dead or the content is not a pid (a crash can leave a stale file behind).
 */
export function acquirePidFile(path: string, pid = process.pid): PidFile {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // O_EXCL: two workers started at once cannot both think they own it.
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return handle(path, pid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new ConfigError(`--pid-file ${path}: cannot create it: ${(err as Error).message}`, "pid-file", { cause: err });
      }
    }
    const owner = readPid(path);
    // After a reboot the old pid may belong to any process: only a docctl worker owns the file.
    const cmd = owner !== null && owner !== pid && pidAlive(owner) ? commandOf(owner) : null;
    if (cmd !== null && cmd !== undefined && !isDocctlWorker(cmd)) {
      rmSync(path, { force: true });
      const pf = acquirePidFile(path, pid);
      return { ...pf, tookOverFrom: `pid ${owner} is \`${cmd.join(" ").slice(0, 120)}\`, not a docctl worker` };
    }
    if (owner !== null && owner !== pid && pidAlive(owner)) {
      throw new ConfigError(
        `--pid-file ${path}: another worker is running with pid ${owner}. Stop it first (kill -TERM ${owner}) or use another pid file.`,
        "pid-file",
      );
    }
    // Stale (owner dead, or garbage): take it over. Remove and retry the exclusive create so a racing
    // starter that does the same cannot end up sharing it with us.
    rmSync(path, { force: true });
  }
  writeFileSync(path, `${pid}\n`);
  return handle(path, pid);
}

/** The command line of a live process (Linux /proc), null when it is gone, undefined when it cannot be read (then it counts as a worker: refusing is the safe side). */
export function commandOf(pid: number): string[] | null | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" && existsSync("/proc/self") ? null : undefined;
  }
}

/** Whether a command line is `docctl worker ...`: the binary (or bun running docctl.ts) with the worker command. */
export function isDocctlWorker(argv: string[]): boolean {
  const i = argv.findIndex((a) => /(^|\/)docctl(\.ts)?$/.test(a));
  return i >= 0 && argv.slice(i + 1).includes("worker");
}

function readPid(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    // ENOENT (removed meanwhile) or unreadable: no owner to respect; the overwrite that follows then
    // succeeds, or fails with its own ConfigError naming the file
    return null;
  }
}

function handle(path: string, pid: number): PidFile {
  return {
    path,
    release() {
      if (readPid(path) === pid) rmSync(path, { force: true });
    },
  };
}
