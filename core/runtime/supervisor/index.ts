// supervisor/: `docctl worker` as a parent of procs: spawning, the proc state machine and backoff,
// the watchdog, IPC, presence and control, the pid file and the plugin watcher.
export * from "./child.ts";
export * from "./control-plane.ts";
export * from "./dedicated.ts";
export * from "./ipc.ts";
export * from "./job-keeper.ts";
export * from "./parent.ts";
export * from "./pidfile.ts";
export * from "./proc-bridge.ts";
export * from "./proc-spawn.ts";
export * from "./proc-state.ts";
export * from "./supervisor.ts";
export * from "./watch.ts";
export * from "./watchdog.ts";
