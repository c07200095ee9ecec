// JavaScriptCore's FTL tier for the CLI's long runs. perf showed FTL's compiler thread at 28-36 % of
// the CPU of `docctl submit` and of worker processes: their code is short-lived or I/O-bound, and the
// tiers below FTL run it as fast (docs/benchmarks.md). JSC reads its options only at start, so the
// compiled binary re-executes itself once (execve: same pid, stdin, signals) with BUN_JSC_useFTLJIT=0
// for the commands that run long; that costs ~50 ms of CPU and saved 25-30 % of a 10 000-job submit.
// An explicit BUN_JSC_useFTLJIT in the environment (1 keeps FTL) is left alone.
const FTL = "BUN_JSC_useFTLJIT";
const LONG_RUNNING = new Set(["submit", "worker", "up", "manager"]);

/** For `docctl submit|worker|up|manager` as the compiled binary: re-execute without FTL. Returns only if it did not. */
export function reexecWithoutFtl(argv: string[]): void {
  if (process.env[FTL] !== undefined || !LONG_RUNNING.has(argv[0] ?? "") || argv.includes("--help") || argv.includes("-h")) return;
  // from source (tests, bun cmd/docctl.ts) there is nothing to gain and a test runner must not be replaced
  if (typeof Bun === "undefined" || !Bun.main.startsWith("/$bunfs/") || typeof process.execve !== "function") return;
  try {
    process.execve(process.execPath, [process.argv0, ...argv], { ...process.env, [FTL]: "0" });
  } catch {
    // execve refused (seccomp, an odd filesystem): run on with FTL
  }
}
