// A pid file that refuses a second live owner and takes over from a dead one.
import { openSync, readFileSync, rmSync, writeFileSync, closeSync, writeSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError } from "../protocol/errors.ts";

export interface PidFile {
  path: string;
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

function readPid(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
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
